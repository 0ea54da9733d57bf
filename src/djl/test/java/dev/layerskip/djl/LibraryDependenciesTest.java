package dev.layerskip.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an application that adds {@code dev.layerskip:layerskip-djl} gets on its class path. Maven writes this
 * module's runtime dependency tree ({@code dependency:tree -Dscope=runtime}: the compile and runtime dependencies a
 * consumer inherits; test-scoped ones are left out) to target/library-dependency-tree.txt before the tests run; this
 * test reads it. The library brings the core, DJL's api, the PyTorch engine, the tokenizers, Gson and slf4j-api (and
 * what those bring), never the CLI's picocli, the charts, Netty, Jinjava, LangChain4j, a PyTorch native library or
 * JNI glue (the application chooses cpu or cu128, as DJL documents), the demo model or a logging binding.
 */
class LibraryDependenciesTest {

    private static final Path TREE = Path.of("src", "djl", "target", "library-dependency-tree.txt");
    /** {@code   +- group:artifact:type[:classifier]:version:scope}, at any depth. */
    private static final Pattern NODE = Pattern.compile("^([ |]*)[+\\\\]- ([^:]+):([^:]+):.*$");

    private static final List<String> FORBIDDEN_PREFIXES = List.of("info.picocli:", "org.knowm.xchart:", "io.netty:",
            "com.hubspot.jinjava:", "dev.langchain4j:", "ai.djl.pytorch:pytorch-native", "ai.djl.pytorch:pytorch-jni",
            "dev.layerskip:layerskip-demo-model", "dev.layerskip:layerskip-server", "dev.layerskip:layerskip-cli",
            "dev.layerskip:layerskip-openai", "org.slf4j:slf4j-simple", "org.slf4j:slf4j-nop", "ch.qos.logback:",
            "org.apache.logging.log4j:", "org.junit", "org.springframework");

    private record Node(int depth, String coordinates) {
    }

    private static List<Node> tree() throws IOException {
        assertTrue(Files.isRegularFile(TREE), TREE + " is missing: Maven writes it in generate-test-resources");
        List<String> lines = Files.readAllLines(TREE);
        assertEquals("dev.layerskip:layerskip-djl:jar:0.1.0", lines.get(0).trim(), "the tree's root");
        List<Node> nodes = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            Matcher m = NODE.matcher(line);
            assertTrue(m.matches(), "unexpected tree line: " + line);
            nodes.add(new Node(m.group(1).length() / 3, m.group(2) + ":" + m.group(3)));
        }
        return nodes;
    }

    @Test
    void theLibraryBringsTheCoreAndNoApplicationChoices() throws IOException {
        List<Node> nodes = tree();
        List<String> direct = nodes.stream().filter(n -> n.depth() == 0).map(Node::coordinates).toList();
        assertEquals(List.of("dev.layerskip:layerskip-core"), direct, "layerskip-djl's own dependencies");
        List<String> core = nodes.stream().filter(n -> n.depth() == 1).map(Node::coordinates).toList();
        assertEquals(List.of("ai.djl:api", "ai.djl.pytorch:pytorch-engine", "ai.djl.huggingface:tokenizers",
                "com.google.code.gson:gson", "org.slf4j:slf4j-api"), core, "layerskip-core's own dependencies");
        List<String> forbidden = new ArrayList<>();
        for (Node n : nodes) {
            for (String prefix : FORBIDDEN_PREFIXES) {
                if (n.coordinates().startsWith(prefix)) {
                    forbidden.add(n.coordinates());
                }
            }
        }
        assertEquals(List.of(), forbidden, "on a DJL user's class path through layerskip-djl");
        assertTrue(nodes.size() < 20, "the library's whole runtime tree: " + nodes);
    }
}
