package dev.layerskip.djl;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 decoding of request bodies: malformed bytes are an error naming their offset instead of
 * silently becoming U+FFFD (a request whose text was damaged on the way must not be generated from).
 */
public final class Utf8Text {

    private Utf8Text() {}

    /**
     * Decodes UTF-8 strictly.
     *
     * @param bytes the bytes
     * @return the text
     * @throws InvalidRequestException naming the offset of the first byte that is not valid UTF-8
     */
    public static String decode(byte[] bytes) throws InvalidRequestException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never needs more chars than bytes
        CoderResult r = decoder.decode(in, out, true);
        if (r.isError()) {
            throw new InvalidRequestException("the request body is not valid UTF-8 (byte offset " + in.position() + ")");
        }
        r = decoder.flush(out);
        if (r.isError()) {
            throw new InvalidRequestException("the request body is not valid UTF-8 (it ends inside a character)");
        }
        out.flip();
        return out.toString();
    }
}
