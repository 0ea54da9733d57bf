package dev.layerskip.generate.structured;

import java.util.List;

/**
 * The subset of JSON Schema that constrained decoding follows ({@link JsonMatcher}): what LangChain4j and
 * Spring AI send for records and POJOs. Built by {@link SchemaParser}.
 */
public sealed interface SchemaNode {

    /** Any JSON value (the values of {@code response_format: json_object}). */
    record AnyValue() implements SchemaNode {}

    /**
     * An object. With properties, keys come in the declared order, each at most once, required ones never
     * skipped, no others; without properties ({@code free}), any keys with any values.
     *
     * @param properties the declared properties, in order
     * @param free whether any keys are allowed (no properties declared)
     */
    record ObjectShape(List<Property> properties, boolean free) implements SchemaNode {
        /** Copies the list. */
        public ObjectShape {
            properties = List.copyOf(properties);
        }
    }

    /**
     * One declared property.
     *
     * @param name its key
     * @param value its schema
     * @param required whether it must appear
     */
    record Property(String name, SchemaNode value, boolean required) {}

    /**
     * An array.
     *
     * @param items the schema of every item
     */
    record ArrayShape(SchemaNode items) implements SchemaNode {}

    /** A string. */
    record StringShape() implements SchemaNode {}

    /**
     * A number.
     *
     * @param integer whether only integers are allowed (no fraction, no exponent)
     */
    record NumberShape(boolean integer) implements SchemaNode {}

    /** true or false. */
    record BooleanShape() implements SchemaNode {}

    /** null. */
    record NullShape() implements SchemaNode {}

    /**
     * One of fixed values.
     *
     * @param literals each value as JSON text (strings with their quotes), none a prefix of another
     */
    record EnumShape(List<String> literals) implements SchemaNode {
        /** Copies the list. */
        public EnumShape {
            literals = List.copyOf(literals);
        }
    }

    /**
     * Any of several schemas (a type list, anyOf, oneOf); the first character of a value decides which.
     *
     * @param options the schemas
     */
    record Union(List<SchemaNode> options) implements SchemaNode {
        /** Copies the list. */
        public Union {
            options = List.copyOf(options);
        }
    }
}
