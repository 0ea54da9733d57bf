package dev.layerskip.eval.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/** Task files parse strictly; every kind of bad line is an error naming the file and that line. */
class TaskFileTest {

    /** One way to spoil a line: the bad line and a fragment the error must contain. */
    private record Corruption(String name, String line, String fragment) {}

    private static final List<Corruption> CORRUPTIONS = List.of(
            new Corruption("truncated JSON", "{\"prompt\": \"def f():\", \"reference\": ", "not valid JSON"),
            new Corruption("plain text", "def f(): return 1", "not valid JSON"),
            new Corruption("trailing comma", "{\"prompt\": \"a\", \"reference\": \"b\",}", "not valid JSON"),
            new Corruption("single quotes", "{'prompt': 'a', 'reference': 'b'}", "not valid JSON"),
            new Corruption("array", "[\"a\", \"b\"]", "expected a JSON object, got an array"),
            new Corruption("bare string", "\"a prompt\"", "expected a JSON object, got string"),
            new Corruption("missing prompt", "{\"reference\": \"b\"}", "missing field \"prompt\""),
            new Corruption("missing reference", "{\"prompt\": \"a\"}", "missing field \"reference\""),
            new Corruption("number prompt", "{\"prompt\": 3, \"reference\": \"b\"}", "field \"prompt\" must be a string, got a number"),
            new Corruption("null reference", "{\"prompt\": \"a\", \"reference\": null}", "field \"reference\" must be a string, got null"),
            new Corruption("object id", "{\"prompt\": \"a\", \"reference\": \"b\", \"id\": {}}", "field \"id\" must be a string, got an object"),
            new Corruption("empty prompt", "{\"prompt\": \"\", \"reference\": \"b\"}", "empty prompt"),
            new Corruption("empty id", "{\"prompt\": \"a\", \"reference\": \"b\", \"id\": \"\"}", "empty \"id\""),
            new Corruption("unknown field", "{\"prompt\": \"a\", \"reference\": \"b\", \"answer\": \"c\"}", "unknown field \"answer\""),
            new Corruption("repeated field", "{\"prompt\": \"a\", \"prompt\": \"c\", \"reference\": \"b\"}", "field \"prompt\" appears twice"),
            new Corruption("number stop", "{\"prompt\": \"a\", \"reference\": \"b\", \"stop\": 5}", "field \"stop\" must be a string or an array of strings, got a number"),
            new Corruption("stop array with a boolean", "{\"prompt\": \"a\", \"reference\": \"b\", \"stop\": [\"x\", true]}", "must be a string, got a boolean"),
            new Corruption("empty stop", "{\"prompt\": \"a\", \"reference\": \"b\", \"stop\": [\"\"]}", "empty stop string"),
            new Corruption("two objects", "{\"prompt\": \"a\", \"reference\": \"b\"} {\"prompt\": \"a\", \"reference\": \"b\"}", "more than one JSON value"),
            new Corruption("blank line", "   ", "empty line"),
            new Corruption("not UTF-8", "{\"prompt\": \"caf\u00ff\", \"reference\": \"b\"}", "not UTF-8"),
            new Corruption("repeated id", "{\"prompt\": \"a\", \"reference\": \"b\", \"id\": \"e0\"}", "id \"e0\" is already used on line 1"));

    /** Seeded bad files: a valid file of 2-12 lines with one line spoiled, each kind at a random line (after the first). */
    @TestFactory
    Stream<DynamicTest> everyBadLineIsNamed() {
        Random random = new Random(13);
        List<DynamicTest> tests = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            for (Corruption c : CORRUPTIONS) {
                int lines = 2 + random.nextInt(11);
                int bad = 2 + random.nextInt(lines - 1);
                boolean crlf = random.nextBoolean();
                tests.add(DynamicTest.dynamicTest(c.name() + " on line " + bad + " of " + lines + (crlf ? " (CRLF)" : ""), () -> {
                    byte[] content = file(lines, bad, c, crlf);
                    TaskFileException e = assertThrows(TaskFileException.class, () -> TaskFile.parse("bad.jsonl", content));
                    assertTrue(e.getMessage().startsWith("bad.jsonl:" + bad + ": "), e.getMessage());
                    assertTrue(e.getMessage().contains(c.fragment()), e.getMessage());
                }));
            }
        }
        return tests.stream();
    }

    private static byte[] file(int lines, int bad, Corruption c, boolean crlf) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 1; i <= lines; i++) {
            String text = i == bad ? c.line() : "{\"id\": \"e" + (i - 1) + "\", \"prompt\": \"def f" + i + "():\", \"reference\": \"\\n    return " + i + "\"}";
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            if (i == bad && c.name().equals("not UTF-8")) {
                bytes = text.getBytes(StandardCharsets.ISO_8859_1); // a lone 0xFF byte
            }
            out.writeBytes(bytes);
            out.writeBytes((crlf ? "\r\n" : "\n").getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    @Test
    void validLinesParseWithEveryOptionalField() throws Exception {
        String text = "{\"prompt\": \"def f():\", \"reference\": \"\\n    pass\", \"stop\": \"\\n\\n\", \"id\": \"one\"}\r\n"
                + "{\"reference\": \"b\", \"prompt\": \"a \\u00e9\", \"stop\": [\"x\", \"yy\"]}\n"
                + "{\"prompt\": \"c\", \"reference\": \"\"}";
        List<TaskExample> examples = TaskFile.parse("t.jsonl", text.getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of(
                new TaskExample("one", "def f():", "\n    pass", List.of("\n\n"), "t.jsonl:1"),
                new TaskExample("line 2", "a \u00e9", "b", List.of("x", "yy"), "t.jsonl:2"),
                new TaskExample("line 3", "c", "", List.of(), "t.jsonl:3")), examples);
    }

    @Test
    void emptyAndMissingFilesAreNamed(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        TaskFileException empty = assertThrows(TaskFileException.class, () -> TaskFile.parse("e.jsonl", new byte[0]));
        assertEquals("e.jsonl: no examples (the file is empty)", empty.getMessage());
        TaskFileException trailing = assertThrows(TaskFileException.class,
                () -> TaskFile.parse("t.jsonl", "{\"prompt\": \"a\", \"reference\": \"b\"}\n\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals("t.jsonl:2: empty line (every line must be one JSON object)", trailing.getMessage());
        Path missing = dir.resolve("none.jsonl");
        assertEquals(missing + ": task file not found", assertThrows(TaskFileException.class, () -> TaskFile.read(missing)).getMessage());
        Path good = dir.resolve("good.jsonl");
        Files.writeString(good, "{\"prompt\": \"a\", \"reference\": \"b\"}\n");
        assertEquals(1, TaskFile.read(good).size());
    }

    @Test
    void shippedTaskFilesParse() throws Exception {
        List<TaskExample> body = TaskFile.read(Path.of("tasks/python-body-completion.jsonl"));
        List<TaskExample> signature = TaskFile.read(Path.of("tasks/python-docstring-to-signature.jsonl"));
        assertEquals(200, body.size());
        assertEquals(197, signature.size());
        assertEquals("_markupbase.py:165:parse_comment", body.get(0).id());
        assertEquals("def parse_comment(self, i, report=1):", body.get(0).prompt());
        for (TaskExample e : signature) {
            assertEquals(List.of("\n"), e.stop(), e.id());
            assertTrue(e.prompt().endsWith("def") || e.prompt().endsWith("class"), e.id());
        }
        for (TaskExample e : body) {
            assertEquals(3, CodeScores.lines(e.reference()).size(), e.id());
        }
    }
}
