package dev.byoos.artifact.service;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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

    /**
     * Promotions are server-side copies, so their threads wait on S3 rather than use the CPU: enough
     * for every object of the builds promoted at once (three consumer copies, up to three objects).
     */
    static final int PROMOTING_THREADS = 9;

    private final ArtifactStore store;
    private final ExecutorService promotions;

    public ArtifactPromoter(ArtifactStore store) {
        this.store = store;
        AtomicInteger threads = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(PROMOTING_THREADS, PROMOTING_THREADS, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), task -> {
                    Thread thread = new Thread(task, "artifact-promotion-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        // An idle service keeps no promotion threads. The pool is never shut down: a promotion still
        // running while the application stops would have its copies refused and its build
        // dead-lettered; the threads are daemons and end with the JVM.
        pool.allowCoreThreadTimeOut(true);
        this.promotions = pool;
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
     * Every object is verified before any is promoted, so a build refused for one of them (a log
     * gone, an SBOM that is not what the build reported) leaves nothing at a content address that
     * no artifact points at. The objects are measured one after another, the image first, so memory
     * holds the ranges of one object at a time; their promotions then run side by side.
     *
     * @throws StagedObjectRejectedException when a staged object is absent or differs from what
     *                                       the build reported: final, the build fails
     * @throws ArtifactStore.StorageUnavailableException when S3 fails: retry later
     */
    @WithSpan
    public Promoted promote(BuildCompleted event) {
        Verified image = verify("image", event.image());
        Verified sbom = event.sbom() == null ? null : verify("SBOM", event.sbom());
        Verified log = event.log() == null ? null : verify("build log", event.log());
        // One copy per content: an SBOM and a log may be the same bytes, and an address is written once.
        Map<String, CompletableFuture<String>> copies = new LinkedHashMap<>();
        Stream.of(image, sbom, log).filter(Objects::nonNull).forEach(verified -> copies.computeIfAbsent(
                verified.measured().sha256(), digest -> CompletableFuture.supplyAsync(() -> copy(verified), promotions)));
        // Every copy settles before the outcome is told: a retry never races this attempt's copies.
        CompletableFuture.allOf(copies.values().toArray(CompletableFuture[]::new)).exceptionally(failure -> null).join();
        return new Promoted(stored(image, copies), stored(sbom, copies), stored(log, copies));
    }

    /** A staged object whose size and digest are the ones the build reported. */
    private record Verified(String what, StagedObject staged, Measured measured) {
    }

    private Verified verify(String what, StagedObject staged) {
        try {
            Measured measured = store.measure(staged.bucket(), staged.key());
            if (measured.size() != staged.size()) {
                throw new StagedObjectRejectedException("SIZE_MISMATCH", "staged " + what + " " + location(staged)
                        + " has " + measured.size() + " bytes, the build reported " + staged.size());
            }
            if (!measured.sha256().equals(staged.sha256())) {
                throw new StagedObjectRejectedException("CHECKSUM_MISMATCH", "staged " + what + " " + location(staged)
                        + " has sha256 " + measured.sha256() + ", the build reported " + staged.sha256());
            }
            return new Verified(what, staged, measured);
        } catch (ObjectMissingException e) {
            throw missing(what, staged);
        }
    }

    private String copy(Verified verified) {
        try {
            return store.promote(verified.staged().bucket(), verified.staged().key(), verified.measured());
        } catch (ObjectMissingException e) {
            throw missing(verified.what(), verified.staged());
        }
    }

    /** The object at its content address, or the failure of its copy as the copy threw it; null for no object. */
    private static Stored stored(Verified verified, Map<String, CompletableFuture<String>> copies) {
        if (verified == null) {
            return null;
        }
        try {
            String key = copies.get(verified.measured().sha256()).join();
            return new Stored(key, verified.measured().sha256(), verified.measured().size(), verified.staged().format());
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException failure) {
                throw failure;
            }
            throw e;
        }
    }

    private static StagedObjectRejectedException missing(String what, StagedObject staged) {
        return new StagedObjectRejectedException("STAGED_OBJECT_MISSING", "staged " + what + " " + location(staged)
                + " does not exist");
    }

    private static String location(StagedObject staged) {
        return staged.bucket() + "/" + staged.key();
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
