package dev.layerskip.djl;

import ai.djl.util.Utils;

import dev.layerskip.checkpoint.CheckpointException;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The demo checkpoint packaged as class-path resources under {@value #RESOURCE_DIR}. From a
 * directory on the class path it is used in place; from a jar it is copied once into DJL's cache
 * directory ({@code ~/.djl.ai/cache/layerskip/}, or {@code DJL_CACHE_DIR}), atomically.
 */
final class DemoModelFiles {

    static final String RESOURCE_DIR = "dev/layerskip/zoo/layerskip-demo";
    private static final List<String> FILES = List.of("config.json", "generation_config.json", "layerskip.json",
            "model.safetensors", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "token_counts.json");

    private DemoModelFiles() {}

    /**
     * @return a directory holding the demo checkpoint
     * @throws IOException if the resources are missing or cannot be copied
     */
    static Path directory() throws IOException {
        return directory(DemoModelFiles.class.getClassLoader(), Utils.getCacheDir().resolve("layerskip"));
    }

    /**
     * @param loader where the resources are
     * @param cacheRoot where a jar's copy goes
     * @return a directory holding the demo checkpoint
     * @throws IOException if the resources are missing or cannot be copied
     */
    static synchronized Path directory(ClassLoader loader, Path cacheRoot) throws IOException {
        URL config = loader.getResource(RESOURCE_DIR + "/config.json");
        URL weights = loader.getResource(RESOURCE_DIR + "/model.safetensors");
        if (config == null || weights == null) {
            throw new CheckpointException(Path.of(RESOURCE_DIR),
                    "the demo model is not on the class path: add the artifact dev.layerskip:layerskip-demo-model"
                    + " (the CLI's layerskip.jar carries it), or load a checkpoint directory with optModelPath");
        }
        if ("file".equals(config.getProtocol())) {
            try {
                return Path.of(config.toURI()).getParent();
            } catch (URISyntaxException e) {
                throw new CheckpointException(Path.of(config.getPath()), "not a file path: " + e.getMessage(), e);
            }
        }
        Path target = cacheRoot.resolve("layerskip-demo-" + contentHash(loader));
        if (Files.isRegularFile(target.resolve("config.json"))) {
            return target;
        }
        Files.createDirectories(target.getParent());
        Path temp = Files.createTempDirectory(target.getParent(), "layerskip-demo-");
        for (String name : FILES) {
            URL url = loader.getResource(RESOURCE_DIR + "/" + name);
            if (url != null) {
                try (InputStream in = url.openStream()) {
                    Files.copy(in, temp.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
            // another process finished first: use its copy
            Utils.deleteQuietly(temp);
        } catch (IOException e) {
            Utils.deleteQuietly(temp);
            if (!Files.isRegularFile(target.resolve("config.json"))) {
                throw e;
            }
        }
        return target;
    }

    /** A digest of every packaged file, so a retrained model (same size, new weights) gets a new cache entry. */
    private static String contentHash(ClassLoader loader) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
        byte[] buffer = new byte[1 << 16];
        for (String name : FILES) {
            URL url = loader.getResource(RESOURCE_DIR + "/" + name);
            if (url == null) {
                continue;
            }
            digest.update(name.getBytes(StandardCharsets.UTF_8));
            try (InputStream in = url.openStream()) {
                for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                    digest.update(buffer, 0, n);
                }
            }
        }
        return HexFormat.of().formatHex(digest.digest(), 0, 8);
    }
}
