package dev.byoos.worker.builder;

import java.nio.file.Path;
import java.util.List;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildRequested;

/**
 * One way of building images (the service provider interface of build-worker). The native
 * builder is the default; later builders (e.g. Kubernetes Image Builder for in-cloud targets)
 * implement the same contract.
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
     * @param bootTest  how the boot smoke test went (a failed boot throws instead)
     * @param sbom      CycloneDX JSON of the image's root filesystem, or null when the builder makes none
     * @param inputs    what the image was made from, each with its sha256 (the provenance's inputs)
     * @param fromCache whether an identical earlier build's image was reused instead of building
     */
    record BuiltImage(Path file, String format, BuildCompleted.BootTest bootTest, Path sbom,
            List<BuildCompleted.Input> inputs, boolean fromCache) {

        public BuiltImage {
            inputs = List.copyOf(inputs);
        }

        /** An image built now, without an SBOM or known inputs. */
        public BuiltImage(Path file, String format, BuildCompleted.BootTest bootTest) {
            this(file, format, bootTest, null, List.of(), false);
        }
    }
}
