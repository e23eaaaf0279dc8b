package dev.byoos.contract;

import static dev.byoos.contract.Require.notBlank;
import static dev.byoos.contract.Require.notNull;
import static dev.byoos.contract.Require.positive;
import static dev.byoos.contract.Require.sha256Hex;

import java.util.List;

/**
 * {@value EventTypes#BUILD_COMPLETED} on {@value Topics#BUILDS_COMPLETED}: the image is built and
 * staged in S3. The sha256 was computed by the worker while uploading; artifact-service verifies it.
 *
 * <p>The fields after {@code bootTest} were added after the first release and are optional.
 *
 * @param image       the staged artifact of record: the disk image, or for builds made inside a
 *                    cloud (image-builder) the Packer manifest that names the cloud images
 * @param sbom        CycloneDX JSON of the image's root filesystem, staged beside the image
 * @param log         the build log, staged beside the image
 * @param provenance  how the image was made
 * @param cloudImages images that live in a cloud (AMI per region, vSphere template path)
 * @param ociImage    for Palette Edge: the OS image pushed to the OCI registry
 */
public record BuildCompleted(BuildCoordinates build, StagedObject image, String builder, long durationMillis,
        BootTest bootTest, StagedObject sbom, StagedObject log, Provenance provenance, List<CloudImage> cloudImages,
        OciImage ociImage) {

    public BuildCompleted {
        notNull(build, "build");
        notNull(image, "image");
        notBlank(builder, "builder");
        cloudImages = cloudImages == null ? List.of() : List.copyOf(cloudImages);
    }

    public BuildCompleted(BuildCoordinates build, StagedObject image, String builder, long durationMillis) {
        this(build, image, builder, durationMillis, null);
    }

    public BuildCompleted(BuildCoordinates build, StagedObject image, String builder, long durationMillis,
            BootTest bootTest) {
        this(build, image, builder, durationMillis, bootTest, null, null, null, null, null);
    }

    /**
     * @param builderVersion version of the worker that built the image
     * @param startedAt      ISO-8601 instant the build started
     * @param finishedAt     ISO-8601 instant the build finished
     * @param inputs         everything the image was made from, each with its sha256 (base, layers, fetched files)
     */
    public record Provenance(String builderVersion, String startedAt, String finishedAt, List<Input> inputs) {
        public Provenance {
            notBlank(builderVersion, "provenance.builderVersion");
            notBlank(startedAt, "provenance.startedAt");
            notBlank(finishedAt, "provenance.finishedAt");
            inputs = inputs == null ? List.of() : List.copyOf(inputs);
        }
    }

    /** @param name what the input is, e.g. {@code base:debootstrap/bookworm}; @param uri where it came from, if fetched */
    public record Input(String name, String sha256, String uri) {
        public Input {
            notBlank(name, "provenance.inputs[].name");
            sha256Hex(sha256, "provenance.inputs[].sha256");
        }
    }

    /**
     * @param cloud  {@code aws}, {@code azure}, {@code vsphere}, ...
     * @param region the region or datacenter, where the cloud has one
     * @param id     the cloud's identifier: an AMI id, an image URL, a template path
     */
    public record CloudImage(String cloud, String region, String id) {
        public CloudImage {
            notBlank(cloud, "cloudImages[].cloud");
            notBlank(id, "cloudImages[].id");
        }
    }

    /** @param reference {@code host[:port]/repository:tag}; @param digest {@code sha256:...} of its manifest */
    public record OciImage(String reference, String digest) {
        public OciImage {
            notBlank(reference, "ociImage.reference");
            notBlank(digest, "ociImage.digest");
        }
    }

    /**
     * The boot smoke test's outcome (absent from workers that predate it). A failed boot fails the
     * build, so a completed build's test either passed or was skipped.
     *
     * @param result         {@code passed} or {@code skipped}
     * @param detail         e.g. the accelerator used, or why the test was skipped (no kernel in the base)
     * @param durationMillis from power-on to the marker on the serial console
     */
    public record BootTest(String result, String detail, long durationMillis) {
        public BootTest {
            notBlank(result, "bootTest.result");
        }
    }

    public record StagedObject(String bucket, String key, String sha256, long size, String format) {
        public StagedObject {
            notBlank(bucket, "bucket");
            notBlank(key, "key");
            sha256Hex(sha256, "sha256");
            positive(size, "size");
            notBlank(format, "format");
        }
    }
}
