package dev.byoos.artifact.service;

import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

import jakarta.enterprise.context.ApplicationScoped;

import io.opentelemetry.instrumentation.annotations.WithSpan;

import dev.byoos.artifact.storage.ArtifactStore;
import dev.byoos.artifact.storage.ArtifactStore.Measured;
import dev.byoos.artifact.storage.ArtifactStore.ObjectMissingException;
import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCompleted.StagedObject;

/**
 * Verifies what a build staged (the image, and its SBOM and log when the build made them) against
 * the sizes and digests the build reported, re-hashing the bytes in S3, and promotes each to its
 * content address. Blocking: runs on a worker thread.
 */
@ApplicationScoped
public class ArtifactPromoter {

    private final ArtifactStore store;

    public ArtifactPromoter(ArtifactStore store) {
        this.store = store;
    }

    /** An object at its content address in the artifacts bucket. */
    public record Stored(String key, String sha256, long size, String format) {
    }

    /** @param sbom null when the build made none; @param log likewise */
    public record Promoted(Stored image, Stored sbom, Stored log) {

        /** The stored objects the artifact points at. */
        public List<Stored> objects() {
            return Stream.of(image, sbom, log).filter(Objects::nonNull).toList();
        }
    }

    /**
     * @throws StagedObjectRejectedException when a staged object is absent or differs from what
     *                                       the build reported: final, the build fails
     * @throws ArtifactStore.StorageUnavailableException when S3 fails: retry later
     */
    @WithSpan
    public Promoted promote(BuildCompleted event) {
        // The image first: without it, the SBOM and log are worth nothing.
        Stored image = verifyAndPromote("image", event.image());
        Stored sbom = event.sbom() == null ? null : verifyAndPromote("SBOM", event.sbom());
        Stored log = event.log() == null ? null : verifyAndPromote("build log", event.log());
        return new Promoted(image, sbom, log);
    }

    private Stored verifyAndPromote(String what, StagedObject staged) {
        String location = staged.bucket() + "/" + staged.key();
        try {
            Measured measured = store.measure(staged.bucket(), staged.key());
            if (measured.size() != staged.size()) {
                throw new StagedObjectRejectedException("SIZE_MISMATCH", "staged " + what + " " + location + " has "
                        + measured.size() + " bytes, the build reported " + staged.size());
            }
            if (!measured.sha256().equals(staged.sha256())) {
                throw new StagedObjectRejectedException("CHECKSUM_MISMATCH", "staged " + what + " " + location
                        + " has sha256 " + measured.sha256() + ", the build reported " + staged.sha256());
            }
            return new Stored(store.promote(staged.bucket(), staged.key(), measured), measured.sha256(),
                    measured.size(), staged.format());
        } catch (ObjectMissingException e) {
            throw new StagedObjectRejectedException("STAGED_OBJECT_MISSING", "staged " + what + " " + location
                    + " does not exist");
        }
    }

    /** A staged object cannot become an artifact; {@code code} is the build.failed code. */
    public static class StagedObjectRejectedException extends RuntimeException {

        private final String code;

        public StagedObjectRejectedException(String code, String reason) {
            super(reason);
            this.code = code;
        }

        public String code() {
            return code;
        }
    }
}
