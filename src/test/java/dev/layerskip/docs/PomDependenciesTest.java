package dev.layerskip.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import javax.xml.parsers.DocumentBuilderFactory;

/**
 * The pom that Maven installs (this project writes no reduced pom, so it is pom.xml) puts no logging binding
 * and no test library on an application's class path: bindings and integrations are optional, clients of
 * the tests are test-scoped.
 */
class PomDependenciesTest {

    private static final Set<String> BINDINGS = Set.of("slf4j-simple", "slf4j-nop", "slf4j-jdk14", "slf4j-reload4j",
            "slf4j-log4j12", "logback-classic", "log4j-slf4j2-impl", "log4j-slf4j-impl");

    @Test
    void noLoggingBindingOrOptionalIntegrationIsTransitive() throws Exception {
        Element project = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile())
                .getDocumentElement();
        Element dependencies = null;
        for (org.w3c.dom.Node n = project.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals("dependencies")) {
                dependencies = e; // the project's own, not dependencyManagement's
            }
        }
        NodeList list = dependencies.getElementsByTagName("dependency");
        List<String> transitive = new ArrayList<>();
        for (int i = 0; i < list.getLength(); i++) {
            Element d = (Element) list.item(i);
            String artifact = text(d, "artifactId");
            String scope = text(d, "scope");
            boolean optional = "true".equals(text(d, "optional"));
            if (!optional && !"test".equals(scope) && !"provided".equals(scope)) {
                transitive.add(text(d, "groupId") + ":" + artifact);
            }
            if (BINDINGS.contains(artifact)) {
                assertTrue(optional || "test".equals(scope), artifact + " must be optional or test-scoped");
            }
        }
        assertEquals(List.of("ai.djl:api", "ai.djl.pytorch:pytorch-engine", "ai.djl.pytorch:pytorch-jni",
                "ai.djl.pytorch:${pytorch.native.artifact}", "ai.djl.huggingface:tokenizers", "info.picocli:picocli",
                "org.slf4j:slf4j-api", "org.knowm.xchart:xchart", "io.netty:netty-codec-http"), transitive);
    }

    private static String text(Element e, String tag) {
        NodeList n = e.getElementsByTagName(tag);
        return n.getLength() == 0 ? null : n.item(0).getTextContent().trim();
    }
}
