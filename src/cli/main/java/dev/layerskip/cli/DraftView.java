package dev.layerskip.cli;

import dev.layerskip.generate.TokenListener;
import dev.layerskip.tokenizer.TextTokenizer;

import java.io.PrintWriter;

/**
 * The speculative streaming view: as each round completes, accepted drafts appear in green, the
 * full model's own token plain, and rejected drafts struck through in red before it (ANSI colours).
 */
final class DraftView implements TokenListener {

    private static final String GREEN = "\u001b[32m";
    private static final String RED_STRUCK = "\u001b[9;31m";
    private static final String RESET = "\u001b[0m";

    private final PrintWriter out;
    private final TextTokenizer tokenizer;
    private int pendingAccepted = -1;
    private int[] rejected = new int[0];

    DraftView(PrintWriter out, TextTokenizer tokenizer) {
        this.out = out;
        this.tokenizer = tokenizer;
    }

    @Override
    public void onDraft(int[] draftIds, int accepted) {
        pendingAccepted = accepted;
        rejected = java.util.Arrays.copyOfRange(draftIds, accepted, draftIds.length);
    }

    @Override
    public void onToken(int tokenId, String textDelta) {
        String text = textDelta.isEmpty() && tokenizer == null ? "<" + tokenId + ">" : textDelta;
        if (pendingAccepted > 0) {
            out.print(GREEN + text + RESET);
            pendingAccepted--;
        } else {
            if (pendingAccepted == 0 && rejected.length > 0) {
                String r = tokenizer == null ? java.util.Arrays.toString(rejected) : tokenizer.decode(rejected);
                out.print(RED_STRUCK + r + RESET);
            }
            out.print(text);
            pendingAccepted = -1;
            rejected = new int[0];
        }
        out.flush();
    }
}
