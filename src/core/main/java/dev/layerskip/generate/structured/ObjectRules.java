package dev.layerskip.generate.structured;

import java.util.ArrayList;
import java.util.List;

/**
 * The rules of an object frame: declared properties come in order, each at most once, required ones never
 * skipped; a free object (no declared properties) takes any keys and values.
 */
final class ObjectRules {

    private ObjectRules() {}

    /** A key starts (its opening quote was read). */
    static JsonMatcher key(JsonMatcher s, Frame.Obj o) {
        if (o.shape().free()) {
            return s.push(new Frame.Obj(o.shape(), Frame.ObjectPhase.COLON, 0), new Frame.Str(0));
        }
        List<Integer> candidates = new ArrayList<>();
        List<SchemaNode.Property> props = o.shape().properties();
        for (int i = o.next(); i < props.size(); i++) {
            candidates.add(i);
            if (props.get(i).required()) {
                break; // a required property cannot be skipped
            }
        }
        return candidates.isEmpty() ? null
                : s.push(new Frame.Obj(o.shape(), Frame.ObjectPhase.KEY, o.next()), new Frame.Key(o.shape(), candidates, 1));
    }

    /** @return whether the object may close now: no required property remains */
    static boolean mayClose(Frame.Obj o) {
        return firstRequired(o.shape(), o.next()) < 0;
    }

    /** @return whether another property may come */
    static boolean mayAdd(Frame.Obj o) {
        return o.shape().free() || o.next() < o.shape().properties().size();
    }

    /** @return the schema of the value after the key just read */
    static SchemaNode valueBefore(Frame.Obj o) {
        return o.shape().free() ? new SchemaNode.AnyValue() : o.shape().properties().get(o.next() - 1).value();
    }

    private static int firstRequired(SchemaNode.ObjectShape shape, int from) {
        for (int i = from; i < shape.properties().size(); i++) {
            if (shape.properties().get(i).required()) {
                return i;
            }
        }
        return -1;
    }

    /** @return the fewest characters that close the object from this frame */
    static int closeLength(Frame.Obj o) {
        return close(o).length();
    }

    /** @return the shortest text that closes the object from this frame */
    static String close(Frame.Obj o) {
        SchemaNode.ObjectShape shape = o.shape();
        return switch (o.phase()) {
            case KEY -> ""; // the key frame above closes the key and the rest
            case OPEN -> required(shape, o.next(), false) + "}";
            case AFTER_VALUE -> required(shape, o.next(), true) + "}";
            case COLON -> ":" + Values.minimal(valueBefore(o)) + required(shape, o.next(), true) + "}";
            case COMMA -> {
                if (shape.free()) {
                    yield "\"\":0}";
                }
                int r = firstRequired(shape, o.next());
                int first = r >= 0 ? r : o.next(); // after a comma some property must come
                SchemaNode.Property p = shape.properties().get(first);
                yield Values.quote(p.name()) + ":" + Values.minimal(p.value()) + required(shape, first + 1, true) + "}";
            }
        };
    }

    /** The required properties from an index on, with their shortest values: {@code "k":v,"k2":v2}. */
    private static String required(SchemaNode.ObjectShape shape, int from, boolean leadingComma) {
        StringBuilder out = new StringBuilder();
        for (int i = from; i < shape.properties().size(); i++) {
            SchemaNode.Property p = shape.properties().get(i);
            if (p.required()) {
                if (leadingComma || out.length() > 0) {
                    out.append(',');
                }
                out.append(Values.quote(p.name())).append(':').append(Values.minimal(p.value()));
            }
        }
        return out.toString();
    }
}
