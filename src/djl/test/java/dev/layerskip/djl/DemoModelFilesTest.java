package dev.layerskip.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/** The demo model served from a jar: copied once into the cache, keyed by content, not by size. */
class DemoModelFilesTest {

    private static final String[] FILES = {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json"};

    private static Path jar(Path dir, String name, byte flip) throws IOException {
        Path jar = dir.resolve(name);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (String f : FILES) {
                byte[] bytes = Files.readAllBytes(DjlTestSupport.DEMO.resolve(f));
                if (f.equals("model.safetensors")) {
                    bytes[bytes.length - 1] ^= flip; // same size, other weights
                }
                out.putNextEntry(new JarEntry(DemoModelFiles.RESOURCE_DIR + "/" + f));
                out.write(bytes);
                out.closeEntry();
            }
        }
        return jar;
    }

    @Test
    void copiesFromAJarOnceAndKeysTheCopyByContent(@TempDir Path tmp) throws IOException {
        Path cache = tmp.resolve("cache");
        try (URLClassLoader a = new URLClassLoader(new URL[] {jar(tmp, "a.jar", (byte) 0).toUri().toURL()}, null);
                URLClassLoader b = new URLClassLoader(new URL[] {jar(tmp, "b.jar", (byte) 1).toUri().toURL()}, null)) {
            Path first = DemoModelFiles.directory(a, cache);
            assertTrue(first.startsWith(cache));
            for (String f : FILES) {
                assertArrayEquals(Files.readAllBytes(DjlTestSupport.DEMO.resolve(f)), Files.readAllBytes(first.resolve(f)), f);
            }
            var copied = Files.getLastModifiedTime(first.resolve("model.safetensors"));
            Files.setLastModifiedTime(first.resolve("model.safetensors"), java.nio.file.attribute.FileTime.fromMillis(1000));
            assertEquals(first, DemoModelFiles.directory(a, cache));
            assertEquals(1000, Files.getLastModifiedTime(first.resolve("model.safetensors")).toMillis(), "reused, not copied again");
            assertTrue(copied.toMillis() > 1000);
            Path retrained = DemoModelFiles.directory(b, cache);
            assertNotEquals(first, retrained, "a retrained model of the same size gets its own copy");
            try (var entries = Files.list(cache)) {
                assertEquals(2, entries.count(), "no temporary directories left behind");
            }
        }
        try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
            IOException e = assertThrows(IOException.class, () -> DemoModelFiles.directory(empty, cache));
            assertTrue(e.getMessage().contains("not on the class path"), e.getMessage());
        }
    }
}
