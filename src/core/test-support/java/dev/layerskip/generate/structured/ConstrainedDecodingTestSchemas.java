package dev.layerskip.generate.structured;

/** Schemas shared by the constrained-decoding tests. */
public final class ConstrainedDecodingTestSchemas {

    /** An object with required and optional properties of every supported type (the shortest document: 33 characters). */
    public static final String PERSON = "{\"type\": \"object\", \"properties\": {\"name\": {\"type\": \"string\"},"
            + " \"age\": {\"type\": \"integer\"}, \"score\": {\"type\": \"number\"}, \"active\": {\"type\": \"boolean\"},"
            + " \"role\": {\"enum\": [\"admin\", \"user\"]}, \"tags\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}}},"
            + " \"required\": [\"name\", \"age\", \"active\"], \"additionalProperties\": false}";

    private ConstrainedDecodingTestSchemas() {}
}
