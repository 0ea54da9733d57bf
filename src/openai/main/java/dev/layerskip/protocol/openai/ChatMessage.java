package dev.layerskip.protocol.openai;

/**
 * One message of a chat request.
 *
 * @param role system, developer, user or assistant
 * @param content the text
 */
public record ChatMessage(String role, String content) {

    /** Validates the fields. */
    public ChatMessage {
        if (role == null || role.isEmpty()) {
            throw new IllegalArgumentException("a chat message needs a role");
        }
        if (content == null) {
            throw new IllegalArgumentException("a chat message needs content");
        }
    }
}
