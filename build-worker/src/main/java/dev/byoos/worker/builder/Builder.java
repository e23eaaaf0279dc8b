package dev.byoos.worker.builder;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.BuildCancelledException;

/**
 * One way of building images (the service provider interface of build-worker). The native
 * builder is the default; the image-builder executor drives Kubernetes Image Builder for targets
 * that are built inside a cloud.
 */
public interface Builder {

    /** Name recorded in build.completed, with the builder's version. */
    String id();

    boolean supports(String cloud, String format);

    /**
     * Builds the image inside {@code workDir} (owned by this build, removed afterwards), and keeps
     * what later builds of the same inputs can reuse ({@link BuiltImage#keeping()}) before returning.
     *
     * @param cancellation checked between steps; cancelling it also kills the running command
     * @throws BuildException          when the image cannot be built
     * @throws BuildCancelledException when the build was cancelled
     */
    BuiltImage build(BuildRequested request, Path workDir, BuildLog log, BuildCancellation cancellation);

    /**
     * As {@link #build(BuildRequested, Path, BuildLog, BuildCancellation)}, but what the build would
     * keep for later builds is left to the caller ({@link BuiltImage#keeping()}): the worker keeps it
     * only once the build counts as done (its completion recorded and announced), so a build
     * cancelled or taken over after its builder returned leaves nothing in any cache, and the keeping
     * is not on the way to the build's announcement. A builder with something to keep overrides
     * this form (the default calls the other, which keeps before returning). It also tells {@code written}
     * of the image file as soon as it is written and checked while the build's last check (the boot
     * test) still runs, so that the file can be uploaded meanwhile. The file does not change after
     * that, and is the one the build returns; whether it is an image is still the build's outcome (a
     * failed boot test throws). A builder without such a moment never calls {@code written}.
     */
    default BuiltImage build(BuildRequested request, Path workDir, BuildLog log, BuildCancellation cancellation,
            Consumer<Path> written) {
        return build(request, workDir, log, cancellation);
    }

    /**
     * @param file        the artifact of record, staged and checksummed
     * @param bootTest    how the boot smoke test went (a failed boot throws instead)
     * @param sbom        CycloneDX JSON of the image's root filesystem, or null when the builder makes none
     * @param inputs      what the image was made from, each with its sha256 (the provenance's inputs)
     * @param fromCache   whether an identical earlier build's image was reused instead of building
     * @param cloudImages images the build left inside a cloud (AMIs, templates), named by {@code file}
     * @param keeping     what the build keeps for later builds (cache entries), once it counts as done
     */
    record BuiltImage(Path file, String format, BuildCompleted.BootTest bootTest, Path sbom,
            List<BuildCompleted.Input> inputs, boolean fromCache, List<BuildCompleted.CloudImage> cloudImages,
            Keeping keeping) {

        public BuiltImage {
            inputs = List.copyOf(inputs);
            cloudImages = List.copyOf(cloudImages);
            keeping = keeping == null ? Keeping.NOTHING : keeping;
        }

        public BuiltImage(Path file, String format, BuildCompleted.BootTest bootTest, Path sbom,
                List<BuildCompleted.Input> inputs, boolean fromCache, List<BuildCompleted.CloudImage> cloudImages) {
            this(file, format, bootTest, sbom, inputs, fromCache, cloudImages, Keeping.NOTHING);
        }

        /** An image built now, without an SBOM or known inputs. */
        public BuiltImage(Path file, String format, BuildCompleted.BootTest bootTest) {
            this(file, format, bootTest, null, List.of(), false, List.of());
        }

        /** A disk image this worker holds. */
        public BuiltImage(Path file, String format, BuildCompleted.BootTest bootTest, Path sbom,
                List<BuildCompleted.Input> inputs, boolean fromCache) {
            this(file, format, bootTest, sbom, inputs, fromCache, List.of());
        }

        /** The record of images made inside a cloud. */
        public BuiltImage(Path file, String format, BuildCompleted.BootTest bootTest,
                List<BuildCompleted.CloudImage> cloudImages) {
            this(file, format, bootTest, null, List.of(), false, cloudImages);
        }
    }

    /**
     * What a finished build keeps for later builds of the same inputs (the worker's caches). Made
     * usable only by {@link #keep}, once the build counts as done; {@link #close} removes whatever
     * was prepared and not kept. Both run on the build's thread while its scratch directory exists.
     */
    interface Keeping extends AutoCloseable {

        /** A build that keeps nothing (a cached image, an image built inside a cloud). */
        Keeping NOTHING = new Keeping() {
            @Override
            public void keep(BuildLog log) {
            }

            @Override
            public void close() {
            }
        };

        /**
         * Makes what the build prepared usable by later builds. Never throws for what could not be
         * kept: that is said in {@code log}, and the build stays done.
         */
        void keep(BuildLog log);

        /** Removes what was prepared and not kept; safe to call more than once, and after {@link #keep}. */
        @Override
        void close();
    }
}
