package dev.layerskip.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerskip.djl.DjlTestSupport;
import dev.layerskip.eval.ContinuationScore;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** Compiles every program in examples/ against the library and runs it. */
class ExamplesTest {

    private static final Path EXAMPLES = Path.of("examples");
    private static URLClassLoader loader;

    @BeforeAll
    static void compile(@TempDir Path classes) throws IOException {
        List<String> sources;
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            sources = files.filter(p -> p.toString().endsWith(".java")).map(Path::toString).sorted().toList();
        }
        assertEquals(6, sources.size(), "examples: " + sources);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-cp", System.getProperty("java.class.path"),
                "-Xlint:all", "-Werror"));
        args.addAll(sources);
        StringWriter diagnostics = new StringWriter();
        int status = javac.run(null, null, new PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) {
                diagnostics.write(b);
            }
        }, true, StandardCharsets.UTF_8), args.toArray(new String[0]));
        assertEquals(0, status, "examples do not compile:\n" + diagnostics);
        loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, ExamplesTest.class.getClassLoader());
    }

    private static String run(String name, String... args) throws Exception {
        Method main = loader.loadClass(name).getMethod("main", String[].class);
        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            main.invoke(null, (Object) args);
        } finally {
            System.setOut(saved);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        saved.print(out);
        return out;
    }

    @Test
    void quickStartPrintsTheFullModelsGreedyContinuation() throws Exception {
        String prompt = "def __init__(self, name, value):";
        String expected = prompt + DjlTestSupport.greedyReference(DjlTestSupport.DEMO, prompt, 48, 0).text();
        // the demo's generation_config.json bans repeated 4-grams: the quick start must not loop
        assertTrue(ContinuationScore.repeatedNgramFraction(DjlTestSupport.greedyReference(DjlTestSupport.DEMO, prompt, 48, 0)
                .tokenIds(), 4) == 0, expected);
        assertEquals(expected + System.lineSeparator(), run("QuickStart"));
    }

    @Test
    void streamingPrintsTokensThenDetails() throws Exception {
        String out = run("Streaming");
        assertTrue(out.startsWith("class Stack:\n"));
        assertTrue(out.contains("\"finish_reason\":\"length\"") && out.contains("\"generated_tokens\":40"), out);
    }

    @Test
    void langChain4jChatAnswersWithTheGreedyContinuationOfTheRenderedConversation() throws Exception {
        String rendered = "# Read a file.\ndef read_lines(path):\n"; // the example's template, BOS left to the tokenizer
        var reference = DjlTestSupport.greedyReference(DjlTestSupport.DEMO, rendered, 32, 0);
        String streamed = DjlTestSupport.greedyReference(DjlTestSupport.DEMO, "import os\n\n\ndef list_files(top):\n", 32, 0).text();
        String out = run("LangChain4jChat");
        String nl = System.lineSeparator();
        assertEquals(reference.text() + nl + "[LENGTH, " + reference.promptIds().length + " prompt tokens, 32 generated]" + nl
                + streamed + nl + "[LENGTH]" + nl, out);
    }

    @Test
    void earlyExitComparesEveryExit() throws Exception {
        String out = run("EarlyExit");
        for (String label : List.of("exit 2", "exit 4", "exit 6", "full")) {
            assertTrue(out.contains(label + " "), label + " in " + out);
        }
    }

    @Test
    void selfSpeculativeReportsIdenticalText() throws Exception {
        String out = run("SelfSpeculative", DjlTestSupport.DEMO.toString(), "2", "3");
        assertTrue(out.contains("same text: true"), out);
        assertTrue(out.contains("acceptance"), out);
    }

    @Test
    void trainTinyLowersTheLoss(@TempDir Path out) throws Exception {
        String log = run("TrainTiny", "src/core/main/java/dev/layerskip/generate", out.toString(), "12");
        Matcher m = Pattern.compile("first loss ([0-9.]+), last loss ([0-9.]+)").matcher(log);
        assertTrue(m.find(), log);
        assertTrue(Double.parseDouble(m.group(2)) < Double.parseDouble(m.group(1)), log);
        assertTrue(Files.isRegularFile(out.resolve("run/model/model.safetensors")));
    }
}
