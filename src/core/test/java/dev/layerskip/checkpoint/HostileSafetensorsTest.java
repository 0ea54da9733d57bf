package dev.layerskip.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Generated safetensors headers (seeded) against an independent oracle: a file opens exactly when its
 * offsets are unsigned integers below 2^63 matching the shapes, names are unique, and the tensors tile
 * the data section with no overlap, gap or trailing byte. Plus fixed hostile headers with their messages.
 */
class HostileSafetensorsTest {

    @TempDir Path dir;
    private int files;

    private Path write(String header, long dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + (int) dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        Path file = dir.resolve("f" + files++ + ".safetensors");
        Files.write(file, b.array());
        return file;
    }

    private String openError(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            return null;
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    private static String tensor(String name, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    }

    @Test
    void hostileHeadersAreRefusedWithTheReason() throws IOException {
        String[][] cases = {
            {"{" + tensor("a", "[2]", "[\"0\",\"8\"]") + "}", "8", "'data_offsets' must hold unsigned integers, found a string"},
            {"{" + tensor("a", "[2]", "[0,8.0]") + "}", "8", "'data_offsets' must hold unsigned integers, found a number (8.0)"},
            {"{" + tensor("a", "[2]", "[0,8e0]") + "}", "8", "must hold unsigned integers"},
            {"{" + tensor("a", "[2]", "[-8,0]") + "}", "8", "'data_offsets' value -8 is outside 0..9223372036854775807"},
            {"{" + tensor("a", "[2]", "[9223372036854775808,9223372036854775816]") + "}", "8", "is outside 0..9223372036854775807"},
            {"{" + tensor("a", "[2]", "[18446744073709551608,0]") + "}", "8", "is outside 0..9223372036854775807"},
            {"{" + tensor("a", "[2]", "[0]") + "}", "8", "'data_offsets' must have 2 entries, got 1"},
            {"{" + tensor("a", "[2]", "{}") + "}", "8", "'data_offsets' must be an array of unsigned integers, got an object"},
            {"{" + tensor("a", "[2.0]", "[0,8]") + "}", "8", "'shape' must hold unsigned integers"},
            {"{" + tensor("a", "[-2]", "[0,8]") + "}", "8", "'shape' value -2 is outside"},
            {"{" + tensor("a", "[4294967296,4294967296,4294967296]", "[0,8]") + "}", "8", "tensor 'a'"},
            {"{" + tensor("a", "[2]", "[0,8]") + "," + tensor("a", "[2]", "[0,8]") + "}", "8", "duplicate name \"a\""},
            {"{" + tensor("a", "[2]", "[0,8]") + "," + tensor("b", "[2]", "[4,12]") + "}", "12", "tensors 'a' and 'b' overlap"},
            {"{" + tensor("a", "[2]", "[0,8]") + "," + tensor("b", "[2]", "[12,20]") + "}", "20", "bytes 8..12 of the data section belong to no tensor"},
            {"{" + tensor("a", "[2]", "[0,8]") + "}", "12", "the data section has 12 bytes but the tensors cover 8"},
            {"{" + tensor("a", "[2]", "[4,12]") + "}", "12", "bytes 0..4 of the data section belong to no tensor"},
            {"{\"a\":{\"dtype\":7,\"shape\":[2],\"data_offsets\":[0,8]}}", "8", "'dtype' must be a string, got a number"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", "8", "unknown key 'x'"},
            {"{\"a\":[]}", "0", "tensor 'a': expected {\"dtype\", \"shape\", \"data_offsets\"}, got an array"},
            {"{\"__metadata__\":{\"format\":7}}", "0", "'__metadata__.format' must be a string"},
            {"[]", "0", "safetensors header is not a JSON object but an array"},
            {"{'a':1}", "0", "malformed JSON"},
            {"{\"a\":1}/*c*/", "0", "malformed JSON"},
            {"\uFEFF{}", "0", "byte-order mark"},
        };
        List<String> failures = new ArrayList<>();
        for (String[] c : cases) {
            String message = openError(write(c[0], Long.parseLong(c[1])));
            if (message == null || !message.contains(c[2]) || !message.contains(".safetensors")) {
                failures.add(c[0] + " -> " + message);
            }
        }
        assertEquals("", String.join("\n", failures));
    }

    /** 80 seeded random layouts, about half of them broken in one way; the reader must agree with the oracle. */
    @Test
    void generatedLayoutsOpenExactlyWhenTheyTileTheDataSection() throws IOException {
        Random random = new Random(2026);
        List<String> failures = new ArrayList<>();
        int broken = 0;
        for (int n = 0; n < 80; n++) {
            int count = 1 + random.nextInt(4);
            List<String> names = new ArrayList<>();
            long[] sizes = new long[count];
            for (int i = 0; i < count; i++) {
                names.add("t" + i);
                sizes[i] = random.nextInt(4); // elements; 0 is a legal empty tensor
            }
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                order.add(i);
            }
            Collections.shuffle(order, random);
            long[] begin = new long[count];
            long[] end = new long[count];
            long offset = 0;
            for (int i : order) {
                begin[i] = offset;
                offset += sizes[i] * 4;
                end[i] = offset;
            }
            long dataBytes = offset;
            String mutation = "none";
            switch (random.nextInt(6)) {
                case 0 -> { // shift one tensor: a gap, an overlap or a size mismatch
                    int i = random.nextInt(count);
                    long delta = 4L * (random.nextBoolean() ? 1 : -1);
                    if (begin[i] + delta >= 0) {
                        begin[i] += delta;
                        end[i] += delta;
                        mutation = "shift";
                    }
                }
                case 1 -> {
                    dataBytes += 4;
                    mutation = "trailing";
                }
                case 2 -> {
                    if (count > 1) {
                        names.set(count - 1, names.get(0));
                        mutation = "duplicate";
                    }
                }
                default -> { }
            }
            StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
            for (int i = 0; i < count; i++) {
                header.append(',').append(tensor(names.get(i), "[" + sizes[i] + "]", "[" + begin[i] + "," + end[i] + "]"));
            }
            header.append('}');
            boolean valid = oracle(names, begin, end, dataBytes);
            broken += valid ? 0 : 1;
            long fileData = Math.max(dataBytes, max(end));
            String message = openError(write(header.toString(), fileData));
            if (valid != (message == null)) {
                failures.add(n + " (" + mutation + ", valid=" + valid + "): " + header + " data=" + fileData + " -> " + message);
            }
        }
        assertEquals("", String.join("\n", failures));
        assertEquals(true, broken >= 20 && broken <= 60, broken + " of 80 broken");
    }

    private static long max(long[] values) {
        long m = 0;
        for (long v : values) {
            m = Math.max(m, v);
        }
        return m;
    }

    /** Independent of the reader: unique names, every byte of the data in exactly one tensor, empty tensors on boundaries. */
    private static boolean oracle(List<String> names, long[] begin, long[] end, long dataBytes) {
        if (names.stream().distinct().count() != names.size()) {
            return false;
        }
        long data = Math.max(dataBytes, max(end));
        boolean[] covered = new boolean[(int) data];
        for (int i = 0; i < begin.length; i++) {
            for (long b = begin[i]; b < end[i]; b++) {
                if (covered[(int) b]) {
                    return false;
                }
                covered[(int) b] = true;
            }
        }
        for (boolean c : covered) {
            if (!c) {
                return false;
            }
        }
        for (int i = 0; i < begin.length; i++) { // an empty tensor sits on a boundary, never inside another (as the reference reader checks)
            for (int j = 0; j < begin.length; j++) {
                if (begin[i] == end[i] && begin[j] < begin[i] && begin[i] < end[j]) {
                    return false;
                }
            }
        }
        return true;
    }
}
