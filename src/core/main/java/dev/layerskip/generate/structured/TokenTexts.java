package dev.layerskip.generate.structured;

import dev.layerskip.tokenizer.TextTokenizer;

/**
 * The exact text each token adds when it follows other text: decoded after an anchor token, so tokenizers
 * that drop a leading space at the start of a text (SentencePiece) still give the space. A token whose text
 * is empty or only part of a UTF-8 character gets null: constrained decoding never picks it.
 */
public final class TokenTexts {

    private TokenTexts() {}

    /**
     * @param tokenizer the tokenizer
     * @param vocabSize the model's vocabulary size
     * @return one text (or null) per id
     */
    public static String[] of(TextTokenizer tokenizer, int vocabSize) {
        int[] anchor = tokenizer.encode("a");
        int a = anchor[anchor.length - 1];
        String base = tokenizer.decode(new int[] {a});
        String[] out = new String[vocabSize];
        for (int id = 0; id < vocabSize; id++) {
            String both = tokenizer.decode(new int[] {a, id});
            String text = both.startsWith(base) ? both.substring(base.length()) : null;
            out[id] = text == null || text.isEmpty() || text.indexOf('\uFFFD') >= 0 ? null : text;
        }
        return out;
    }
}
