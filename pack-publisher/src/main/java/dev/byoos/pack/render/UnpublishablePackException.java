package dev.byoos.pack.render;

import dev.byoos.contract.BuildFailed;

/**
 * The pack for a build cannot be rendered or published, for a reason that retrying the same event
 * cannot change. Becomes a {@code build.failed} event (stage {@code pack}) rather than a dead letter:
 * the event is valid, the build is not publishable.
 */
public class UnpublishablePackException extends RuntimeException {

    private final String code;
    private final String category;
    private final boolean retryable;

    /**
     * @param code      stable machine-readable reason, e.g. {@code CLOUD_IMAGE_MISSING}
     * @param category  {@link BuildFailed#SPEC}, {@link BuildFailed#INFRASTRUCTURE} or {@link BuildFailed#BUILDER}
     * @param retryable whether building the same spec again may succeed
     * @param reason    what a user or operator can act on
     */
    public UnpublishablePackException(String code, String category, boolean retryable, String reason) {
        super(reason);
        this.code = code;
        this.category = category;
        this.retryable = retryable;
    }

    public String code() {
        return code;
    }

    public String category() {
        return category;
    }

    public boolean retryable() {
        return retryable;
    }
}
