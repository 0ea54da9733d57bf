package dev.layerskip.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import jdk.jshell.Diag;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Every notebook in notebooks/ is an IJava notebook (kernel "java") whose only dependency line names
 * the CLI module's Maven coordinates (src/cli/pom.xml), and its code cells run in order in JShell on the test class path.
 * IJava's {@code display(...)} is stood in by a function that returns its argument.
 */
class NotebooksTest {

    private static final java.util.regex.Pattern JAVA_EXCEPTION = java.util.regex.Pattern.compile(
            "\\b(?:java|javax|jdk|ai\\.djl|dev\\.layerskip|com\\.google)\\.[\\w.$]*(?:Exception|Error)\\b|(?m)^\\s+at [\\w.$<>]+\\(");

    private static final Path NOTEBOOKS = Path.of("notebooks");
    private static final Pattern MAVEN = Pattern.compile("^%maven\\s+(\\S+)\\s*$");

    @TestFactory
    Stream<DynamicTest> everyNotebookRuns() throws IOException {
        List<Path> notebooks;
        try (Stream<Path> files = Files.list(NOTEBOOKS)) {
            notebooks = files.filter(p -> p.toString().endsWith(".ipynb")).sorted().toList();
        }
        assertEquals(5, notebooks.size(), "notebooks: " + notebooks);
        String coordinates = pomCoordinates();
        return notebooks.stream().map(nb -> DynamicTest.dynamicTest(nb.getFileName().toString(), () -> run(nb, coordinates)));
    }

    /** The CLI module's coordinates (it brings the whole library, the charts and the demo model). */
    static String pomCoordinates() throws IOException {
        String pom = Files.readString(Path.of("src", "cli", "pom.xml"));
        String parent = pom.substring(pom.indexOf("<parent>"), pom.indexOf("</parent>"));
        String project = pom.substring(pom.indexOf("</parent>"), pom.indexOf("<dependencies>"));
        return tag(parent, "groupId") + ":" + tag(project, "artifactId") + ":" + tag(parent, "version");
    }

    private static String tag(String xml, String name) {
        Matcher m = Pattern.compile("<" + name + ">([^<]+)</" + name + ">").matcher(xml);
        assertTrue(m.find(), "no <" + name + "> in pom.xml");
        return m.group(1).trim();
    }

    private static void run(Path notebook, String coordinates) throws IOException {
        JsonObject root = JsonParser.parseString(Files.readString(notebook)).getAsJsonObject();
        assertEquals(4, root.get("nbformat").getAsInt(), notebook + ": nbformat");
        assertEquals("java", root.getAsJsonObject("metadata").getAsJsonObject("kernelspec").get("name").getAsString(),
                notebook + ": kernel name");
        List<String> cells = new ArrayList<>();
        boolean maven = false;
        for (JsonElement c : root.getAsJsonArray("cells")) {
            JsonObject cell = c.getAsJsonObject();
            if (!cell.get("cell_type").getAsString().equals("code")) {
                continue;
            }
            StringBuilder code = new StringBuilder();
            for (String line : source(cell).split("\n", -1)) {
                Matcher m = MAVEN.matcher(line.trim());
                if (m.matches()) {
                    assertEquals(coordinates, m.group(1), notebook + ": %maven must name the CLI module as in src/cli/pom.xml");
                    maven = true;
                } else if (line.trim().startsWith("%")) {
                    fail(notebook + ": unsupported magic " + line.trim());
                } else {
                    code.append(line).append('\n');
                }
            }
            cells.add(code.toString());
        }
        assertTrue(maven, notebook + ": no %maven line");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
        PrintStream saved = System.out; // the local execution engine prints to this JVM's System.out
        System.setOut(out);
        try (JShell shell = JShell.builder().executionEngine("local").out(out).err(out).build()) {
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                shell.addToClasspath(entry);
            }
            eval(shell, notebook, "Object display(Object o) { return o; }");
            for (int i = 0; i < cells.size(); i++) {
                SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
                String remaining = cells.get(i);
                while (!remaining.isBlank()) {
                    SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
                    if (!info.completeness().isComplete()) {
                        fail(notebook + " cell " + i + ": incomplete snippet: " + remaining);
                    }
                    eval(shell, notebook + " cell " + i, info.source());
                    remaining = info.remaining();
                }
            }
        } finally {
            System.setOut(saved);
        }
        String text = printed.toString(StandardCharsets.UTF_8);
        System.out.println("--- " + notebook + "\n" + text);
        assertFalse(text.isBlank(), notebook + " printed nothing");
        // a Java exception or stack frame; generated Python may well say "Exception" itself
        assertFalse(JAVA_EXCEPTION.matcher(text).find(), notebook + " printed an exception:\n" + text);
    }

    private static void eval(JShell shell, Object where, String source) {
        for (SnippetEvent e : shell.eval(source)) {
            if (e.exception() != null) {
                fail(where + ": " + e.exception() + " in:\n" + source, e.exception());
            }
            if (e.status() == Snippet.Status.REJECTED) {
                StringBuilder diags = new StringBuilder();
                shell.diagnostics(e.snippet()).forEach((Diag d) -> diags.append(d.getMessage(Locale.ROOT)).append('\n'));
                fail(where + ": rejected:\n" + source + "\n" + diags);
            }
        }
    }

    private static String source(JsonObject cell) {
        JsonElement s = cell.get("source");
        if (s.isJsonArray()) {
            StringBuilder b = new StringBuilder();
            for (JsonElement line : (JsonArray) s) {
                b.append(line.getAsString());
            }
            return b.toString();
        }
        return s.getAsString();
    }
}
