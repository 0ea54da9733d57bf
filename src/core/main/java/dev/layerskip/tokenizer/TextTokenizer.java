package dev.layerskip.tokenizer;

/** Text to token ids and back; the generator and CLI depend only on this. */
public interface TextTokenizer extends AutoCloseable {

    /**
     * Encodes text, adding the special tokens (such as BOS) the tokenizer files ask for.
     *
     * @param text the text
     * @return the token ids
     */
    int[] encode(String text);

    /**
     * Decodes ids to text, skipping special tokens.
     *
     * @param ids the token ids
     * @return the text
     */
    String decode(int[] ids);

    @Override
    void close();
}
