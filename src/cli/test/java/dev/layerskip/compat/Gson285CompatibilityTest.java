package dev.layerskip.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The library must run where Gson 2.8.5 comes first on the class path (IJava bundles it): every Gson
 * class, method and field the compiled library refers to must exist in Gson 2.8.5 (a bytecode scan
 * of every module's target/classes against the real 2.8.5 jar, which Maven copies to src/cli/target/gson-compat), and the
 * JSON readers must work when loaded together with that jar only.
 */
class Gson285CompatibilityTest {

    private static final Path GSON_285 = Path.of("src", "cli", "target", "gson-compat", "gson-2.8.5.jar");
    /** The modules' compiled classes (tests run in the repository root). */
    private static final List<Path> MODULE_CLASSES = Stream.of("core", "openai", "djl", "server", "langchain4j", "cli")
            .map(m -> Path.of("src", m, "target", "classes")).toList();
    private static final Path CORE_CLASSES = MODULE_CLASSES.get(0);

    private static URLClassLoader gson285() throws IOException {
        assertTrue(Files.isRegularFile(GSON_285), GSON_285 + " is missing: mvn copies it in generate-test-resources");
        return new URLClassLoader(new URL[] {GSON_285.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
    }

    @Test
    void everyGsonReferenceOfTheLibraryExistsInGson285() throws Exception {
        List<Path> classes = new ArrayList<>();
        for (Path module : MODULE_CLASSES) {
            assertTrue(Files.isDirectory(module), module + " is missing");
            try (Stream<Path> files = Files.walk(module)) {
                files.filter(p -> p.toString().endsWith(".class")).forEach(classes::add);
            }
        }
        assertTrue(classes.size() > 50, "scanned " + classes.size() + " classes");
        TreeSet<String> missing = new TreeSet<>();
        int checked = 0;
        try (URLClassLoader loader = gson285()) {
            for (Path c : classes) {
                for (ClassFileReferences.Ref ref : ClassFileReferences.read(c)) {
                    if (ref.owner().startsWith("com/google/gson/")) {
                        checked++;
                        if (!exists(loader, ref)) {
                            missing.add(ref + " (used in " + c + ")");
                        }
                    }
                }
            }
        }
        assertTrue(checked > 50, "only " + checked + " Gson references found");
        assertEquals("", String.join("\n", missing), "Gson API absent from 2.8.5");
    }

    @Test
    void theScanCatchesAMethodAddedAfter285() throws Exception {
        Path probe = Path.of("src", "cli", "target", "test-classes", "dev", "layerskip", "compat", "Gson285Probe.class");
        List<String> missing = new ArrayList<>();
        try (URLClassLoader loader = gson285()) {
            for (ClassFileReferences.Ref ref : ClassFileReferences.read(probe)) {
                if (ref.owner().startsWith("com/google/gson/") && !exists(loader, ref)) {
                    missing.add(ref.toString());
                }
            }
        }
        assertEquals(List.of("com/google/gson/JsonParser.parseString(Ljava/lang/String;)Lcom/google/gson/JsonElement;"),
                missing);
    }

    @Test
    void configAndSafetensorsReadersRunWithGson285Alone() throws Exception {
        Path demo = Path.of("models", "layerskip-demo").toAbsolutePath();
        try (URLClassLoader loader = new URLClassLoader(
                new URL[] {GSON_285.toUri().toURL(), CORE_CLASSES.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
            Class<?> json = loader.loadClass("dev.layerskip.checkpoint.LlamaConfigJson");
            assertEquals("com.google.gson", loader.loadClass("com.google.gson.JsonObject").getPackageName());
            assertTrue(loader.loadClass("com.google.gson.JsonObject").getProtectionDomain().getCodeSource()
                    .getLocation().toString().endsWith("gson-2.8.5.jar"));
            Object config = json.getMethod("read", Path.class).invoke(null, demo.resolve("config.json"));
            assertEquals(8, config.getClass().getMethod("numLayers").invoke(config));
            Class<?> safetensors = loader.loadClass("dev.layerskip.checkpoint.SafetensorsFile");
            try (AutoCloseable file = (AutoCloseable) safetensors.getMethod("open", Path.class)
                    .invoke(null, demo.resolve("model.safetensors"))) {
                Object tensors = safetensors.getMethod("tensors").invoke(file);
                assertTrue(((java.util.Map<?, ?>) tensors).containsKey("model.embed_tokens.weight"));
            }
            Class<?> strict = loader.loadClass("dev.layerskip.json.StrictJson");
            Object parsed = strict.getMethod("parse", String.class).invoke(null, "{\"a\": [1, 2.5, \"x\", null, true]}");
            assertEquals("{\"a\":[1,2.5,\"x\",null,true]}", parsed.toString());
        }
    }

    private static boolean exists(ClassLoader loader, ClassFileReferences.Ref ref) {
        Class<?> owner;
        try {
            owner = Class.forName(ref.owner().replace('/', '.'), false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
        return switch (ref.kind()) {
            case "class" -> true;
            case "field" -> hasField(owner, ref.name(), ref.descriptor());
            default -> hasMethod(owner, ref.name(), ref.descriptor());
        };
    }

    private static boolean hasField(Class<?> c, String name, String descriptor) {
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            for (Field f : k.getDeclaredFields()) {
                if (f.getName().equals(name) && descriptor(f.getType()).equals(descriptor)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean hasMethod(Class<?> c, String name, String descriptor) {
        if (name.equals("<init>")) {
            for (Constructor<?> k : c.getDeclaredConstructors()) {
                if (descriptor(k.getParameterTypes(), void.class).equals(descriptor)) {
                    return true;
                }
            }
            return false;
        }
        List<Class<?>> todo = new ArrayList<>(List.of(c));
        while (!todo.isEmpty()) {
            Class<?> k = todo.remove(todo.size() - 1);
            for (Method m : k.getDeclaredMethods()) {
                if (m.getName().equals(name) && descriptor(m.getParameterTypes(), m.getReturnType()).equals(descriptor)) {
                    return true;
                }
            }
            if (k.getSuperclass() != null) {
                todo.add(k.getSuperclass());
            }
            todo.addAll(List.of(k.getInterfaces()));
        }
        return false;
    }

    private static String descriptor(Class<?>[] params, Class<?> ret) {
        StringBuilder b = new StringBuilder("(");
        for (Class<?> p : params) {
            b.append(descriptor(p));
        }
        return b.append(')').append(descriptor(ret)).toString();
    }

    private static String descriptor(Class<?> t) {
        if (t.isArray()) {
            return t.getName().replace('.', '/');
        } else if (!t.isPrimitive()) {
            return "L" + t.getName().replace('.', '/') + ";";
        }
        return switch (t.getName()) {
            case "int" -> "I";
            case "long" -> "J";
            case "boolean" -> "Z";
            case "byte" -> "B";
            case "char" -> "C";
            case "short" -> "S";
            case "float" -> "F";
            case "double" -> "D";
            default -> "V";
        };
    }
}
