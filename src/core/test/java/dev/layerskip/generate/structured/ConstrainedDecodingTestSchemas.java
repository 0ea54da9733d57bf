package dev.layerskip.generate.structured;

/** Schemas shared by the constrained-decoding tests. */
public final class ConstrainedDecodingTestSchemas {

    /** An object with required and optional properties of every supported type (the shortest document: 33 characters). */
    public static final String PERSON = ConstrainedDecodingTest.SCHEMA;

    private ConstrainedDecodingTestSchemas() {}
}
