package dev.layerskip.generate.structured;

/** Where in a JSON number: {@code -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?}. */
enum NumberPhase {
    /** After the minus sign. */
    SIGN(false),
    /** After a leading zero. */
    ZERO(true),
    /** In the integer digits. */
    INT(true),
    /** After the decimal point. */
    DOT(false),
    /** In the fraction digits. */
    FRAC(true),
    /** After e or E. */
    EXP(false),
    /** After the exponent's sign. */
    EXP_SIGN(false),
    /** In the exponent digits. */
    EXP_DIGITS(true);

    private final boolean terminal;

    NumberPhase(boolean terminal) {
        this.terminal = terminal;
    }

    /** @return whether the number may end here */
    boolean terminal() {
        return terminal;
    }

    /**
     * The phase after a first character of a number.
     *
     * @param c the character
     * @return the phase, or null if no number starts so
     */
    static NumberPhase start(char c) {
        return c == '-' ? SIGN : c == '0' ? ZERO : c >= '1' && c <= '9' ? INT : null;
    }

    /**
     * The phase after one more character.
     *
     * @param c the character
     * @param integer whether only integers are allowed
     * @return the phase, or null if the number does not continue with it
     */
    NumberPhase next(char c, boolean integer) {
        boolean digit = c >= '0' && c <= '9';
        return switch (this) {
            case SIGN -> c == '0' ? ZERO : digit ? INT : null;
            case ZERO, INT -> digit && this == INT ? INT : c == '.' && !integer ? DOT
                    : (c == 'e' || c == 'E') && !integer ? EXP : null;
            case DOT, FRAC -> digit ? FRAC : (c == 'e' || c == 'E') && this == FRAC ? EXP : null;
            case EXP -> digit ? EXP_DIGITS : c == '+' || c == '-' ? EXP_SIGN : null;
            case EXP_SIGN, EXP_DIGITS -> digit ? EXP_DIGITS : null;
        };
    }
}
