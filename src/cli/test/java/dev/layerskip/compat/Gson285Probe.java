package dev.layerskip.compat;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;

/** A negative control for {@link Gson285CompatibilityTest}: calls a Gson method that 2.8.5 lacks. */
final class Gson285Probe {

    private Gson285Probe() {}

    static JsonElement parse(String text) {
        return JsonParser.parseString(text); // added in Gson 2.8.6
    }
}
