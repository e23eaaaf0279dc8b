package dev.byoos.spec.validation;

import java.util.List;

/** A spec that cannot be accepted; carries every violation found, not just the first. */
public class SpecRejectedException extends RuntimeException {

    private final transient List<Violation> violations;

    public SpecRejectedException(List<Violation> violations) {
        super(violations.size() + " violation(s), first: " + violations.get(0).pointer() + " "
                + violations.get(0).message());
        this.violations = List.copyOf(violations);
    }

    public List<Violation> violations() {
        return violations;
    }
}
