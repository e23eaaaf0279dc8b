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
     * Builds the image inside {@code workDir} (owned by this build, removed afterwards).
     *
     * @param cancellation checked between steps; cancelling it also kills the running command
     * @throws BuildException          when the image cannot be built
     * @throws BuildCancelledException when the build was cancelled
     */
    BuiltImage build(BuildRequested request, Path workDir, BuildLog log, BuildCancellation cancellation);

    /**
     * As {@link #build(BuildRequested, Path, BuildLog, BuildCancellation)}, telling {@code written}
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
     */
    record BuiltImage(Path file, String format, BuildCompleted.BootTest bootTest, Path sbom,
            List<BuildCompleted.Input> inputs, boolean fromCache, List<BuildCompleted.CloudImage> cloudImages) {

        public BuiltImage {
            inputs = List.copyOf(inputs);
            cloudImages = List.copyOf(cloudImages);
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
}
