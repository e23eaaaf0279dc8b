package dev.byoos.contract;

import static dev.byoos.contract.Require.notBlank;
import static dev.byoos.contract.Require.notNull;

import java.util.List;

/**
 * {@value EventTypes#SPEC_REJECTED} on {@value Topics#SPECS_REJECTED}: a spec submitted as a
 * CloudEvent failed validation; nothing was stored. Keyed by the submission's CloudEvent id.
 *
 * @param submissionId the CloudEvent id of the submission
 * @param submissionSource the CloudEvent source of the submission, so the sender finds its answer
 * @param violations every violation, as the REST API reports them
 */
public record SpecRejected(String submissionId, String submissionSource, List<Violation> violations) {

    public SpecRejected {
        notBlank(submissionId, "submissionId");
        notBlank(submissionSource, "submissionSource");
        notNull(violations, "violations");
        violations = List.copyOf(violations);
    }

    /** @param pointer JSON pointer to the field; @param code stable code; @param message for a person */
    public record Violation(String pointer, String code, String message) {
        public Violation {
            notNull(pointer, "violations[].pointer");
            notBlank(code, "violations[].code");
            notBlank(message, "violations[].message");
        }
    }
}
