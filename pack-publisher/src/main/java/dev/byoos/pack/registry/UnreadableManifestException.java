package dev.byoos.pack.registry;

/**
 * The registry answers, but not for one manifest: HTTP 500 to reading it, where a registry that
 * stopped in the middle of writing the manifest left its bytes empty or cut. For most callers that
 * is an outage like any other, to be waited out; a caller that owns the tag (its own claimed
 * version, its own signature) pushes over it instead, since nothing else will mend it.
 */
public class UnreadableManifestException extends RegistryUnavailableException {

    public UnreadableManifestException(String message) {
        super(message);
    }
}
