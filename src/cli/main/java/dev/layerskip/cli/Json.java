package dev.layerskip.cli;

import com.google.gson.JsonArray;

/** Small JSON helpers for command output. */
final class Json {

    private Json() {}

    static JsonArray ints(int[] values) {
        JsonArray a = new JsonArray();
        for (int v : values) {
            a.add(v);
        }
        return a;
    }
}
