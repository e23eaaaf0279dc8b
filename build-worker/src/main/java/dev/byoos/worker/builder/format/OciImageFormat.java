package dev.byoos.worker.builder.format;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.worker.builder.core.Reproducibility;
import dev.byoos.worker.builder.core.Sha256;

/**
 * Palette Edge's OS image: the customized root filesystem as an OCI image of one layer, written as
 * an OCI image layout and archived as one tar (the {@code oci-archive} skopeo reads), which is the
 * artifact of record. build-worker pushes it to the registry afterwards ({@code OciImagePusher}).
 *
 * <p>Reproducible: the layer is GNU tar with entries sorted by name, every mtime the source date
 * and numeric owners, gzip'd by pigz without a timestamp or name; JSON with a fixed field order,
 * created at the source date. The same tree and build make the same manifest digest, so a
 * redelivered build pushes the same image again.
 */
public final class OciImageFormat implements ImageFormat {

    public static final String NAME = "oci";
    public static final String FILE_NAME = "image.oci.tar";
    static final String LAYOUT_DIR = "oci-layout";
    public static final String MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json";
    public static final String CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json";
    public static final String LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip";
    /** Labels on the image config naming where it comes from. */
    public static final String LABEL_BUILD = "dev.byoos.build-id";
    public static final String LABEL_SPEC = "dev.byoos.spec";
    public static final String LABEL_SPEC_DIGEST = "dev.byoos.spec-digest";

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Path write(FormatContext context) {
        try {
            Path layout = Files.createDirectories(context.workDir().resolve(LAYOUT_DIR));
            Path blobs = Files.createDirectories(layout.resolve("blobs/sha256"));
            Path layerTar = context.workDir().resolve("layer.tar");
            Reproducibility fixed = context.reproducibility();
            context.run(FormatContext.WRITE_TIMEOUT, "tar", "--sort=name", "--mtime=@" + fixed.epochSeconds(),
                    "--numeric-owner", "--format=gnu", "-cf", layerTar.toString(), "-C", context.tree().toString(),
                    ".");
            // pigz -k writes layer.tar.gz beside the tar: the same compressor as the gzip'd archives.
            List<String> gzip = new ArrayList<>(List.of(FormatContext.GZIP_COMPRESSOR.split(" ")));
            gzip.addAll(List.of("-k", layerTar.toString()));
            context.run(FormatContext.WRITE_TIMEOUT, gzip.toArray(String[]::new));
            Blob layer = layerBlob(layerTar, layerTar.resolveSibling(layerTar.getFileName() + ".gz"), blobs);
            Files.delete(layerTar);
            byte[] config = JSON.writeValueAsBytes(config(context.build(), layer.diffId(), fixed.sourceDate()));
            Blob configBlob = blob(config, blobs);
            byte[] manifest = JSON.writeValueAsBytes(manifest(configBlob, layer));
            Blob manifestBlob = blob(manifest, blobs);
            Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
            Files.write(layout.resolve("index.json"), JSON.writeValueAsBytes(index(manifestBlob,
                    context.build().pack().version())));
            Path output = context.workDir().resolve(FILE_NAME);
            List<String> tar = new ArrayList<>(List.of("tar", "--sort=name", "--format=gnu", "-cf",
                    output.toString()));
            tar.addAll(context.tarOfOwnFiles());
            tar.addAll(List.of("-C", layout.toString(), "."));
            context.run(FormatContext.WRITE_TIMEOUT, tar.toArray(String[]::new));
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * skopeo (not this class) reads the archive back: the manifest it finds must be the one written, with
     * one gzip layer whose blob has its digest and whose uncompressed content has the config's diff_id.
     */
    @Override
    public void verify(Path output, FormatContext context) {
        Path layout = context.workDir().resolve(LAYOUT_DIR);
        String raw = context.run(FormatContext.CHECK_TIMEOUT, "skopeo", "inspect", "--raw", "oci-archive:" + output);
        String rawConfig = context.run(FormatContext.CHECK_TIMEOUT, "skopeo", "inspect", "--config", "--raw",
                "oci-archive:" + output);
        try {
            JsonNode index = JSON.readTree(layout.resolve("index.json").toFile());
            String written = index.path("manifests").path(0).path("digest").asText();
            Path writtenManifest = layout.resolve("blobs/sha256").resolve(written.substring("sha256:".length()));
            if (!written.equals("sha256:" + Sha256.of(writtenManifest))
                    || !JSON.readTree(writtenManifest.toFile()).equals(JSON.readTree(raw))) {
                throw FormatContext.checkFailed(NAME, "skopeo reads a manifest other than the one written (" + written
                        + ")");
            }
            JsonNode manifest = JSON.readTree(raw);
            JsonNode layers = manifest.path("layers");
            if (layers.size() != 1 || !LAYER_MEDIA_TYPE.equals(layers.path(0).path("mediaType").asText())) {
                throw FormatContext.checkFailed(NAME, "the manifest does not have exactly one gzip layer: " + raw);
            }
            String layerDigest = layers.path(0).path("digest").asText();
            Path layerBlob = layout.resolve("blobs/sha256").resolve(layerDigest.substring("sha256:".length()));
            if (!layerDigest.equals("sha256:" + Sha256.of(layerBlob))) {
                throw FormatContext.checkFailed(NAME, "the layer blob does not have its digest " + layerDigest);
            }
            String diffId = JSON.readTree(rawConfig).path("rootfs").path("diff_ids").path(0).asText();
            if (!diffId.equals("sha256:" + uncompressedSha256(layerBlob))) {
                throw FormatContext.checkFailed(NAME, "the uncompressed layer is not the config's diff_id " + diffId);
            }
        } catch (IOException e) {
            throw FormatContext.checkFailed(NAME, "the layout does not read back: " + e.getMessage());
        }
    }

    /** An OCI content descriptor's essentials; {@code diffId} is the uncompressed digest of a layer. */
    record Blob(String digest, long size, String diffId) {
    }

    /** Moves the compressed layer into the blobs, named by its digest; the tar's digest is its diff_id. */
    private static Blob layerBlob(Path tar, Path compressed, Path blobs) throws IOException {
        String hex = Sha256.of(compressed);
        Path blob = Files.move(compressed, blobs.resolve(hex));
        return new Blob("sha256:" + hex, Files.size(blob), "sha256:" + Sha256.of(tar));
    }

    private static Blob blob(byte[] content, Path blobs) throws IOException {
        String hex = Sha256.of(content);
        Files.write(blobs.resolve(hex), content);
        return new Blob("sha256:" + hex, content.length, null);
    }

    /** @param created the source date: when the image was made, as far as its bytes tell */
    static ObjectNode config(BuildCoordinates build, String diffId, Instant created) {
        ObjectNode config = JSON.createObjectNode();
        config.put("created", created.toString());
        config.put("architecture", "amd64");
        config.put("os", "linux");
        ObjectNode labels = config.putObject("config").putObject("Labels");
        labels.put("org.opencontainers.image.title", build.pack().name());
        labels.put("org.opencontainers.image.version", build.pack().version());
        labels.put("org.opencontainers.image.description", build.pack().displayName());
        labels.put(LABEL_SPEC, build.team() + "/" + build.specName() + "@" + build.specVersion());
        labels.put(LABEL_SPEC_DIGEST, build.specDigest());
        labels.put(LABEL_BUILD, build.buildId());
        labels.put("dev.byoos.os", build.os().name() + " " + build.os().version());
        labels.put("dev.byoos.kubernetes-version", build.kubernetesVersion());
        ObjectNode rootfs = config.putObject("rootfs");
        rootfs.put("type", "layers");
        rootfs.putArray("diff_ids").add(diffId);
        config.putArray("history").addObject().put("created", created.toString()).put("created_by",
                "BYOOS Factory native builder: base and customization layers of " + build.team() + "/"
                        + build.specName() + "@" + build.specVersion());
        return config;
    }

    private static ObjectNode manifest(Blob config, Blob layer) {
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", MANIFEST_MEDIA_TYPE);
        ObjectNode configDescriptor = manifest.putObject("config");
        configDescriptor.put("mediaType", CONFIG_MEDIA_TYPE);
        configDescriptor.put("digest", config.digest());
        configDescriptor.put("size", config.size());
        ObjectNode layerDescriptor = manifest.putArray("layers").addObject();
        layerDescriptor.put("mediaType", LAYER_MEDIA_TYPE);
        layerDescriptor.put("digest", layer.digest());
        layerDescriptor.put("size", layer.size());
        return manifest;
    }

    private static ObjectNode index(Blob manifest, String tag) {
        ObjectNode index = JSON.createObjectNode();
        index.put("schemaVersion", 2);
        index.put("mediaType", "application/vnd.oci.image.index.v1+json");
        ObjectNode descriptor = index.putArray("manifests").addObject();
        descriptor.put("mediaType", MANIFEST_MEDIA_TYPE);
        descriptor.put("digest", manifest.digest());
        descriptor.put("size", manifest.size());
        descriptor.putObject("annotations").put("org.opencontainers.image.ref.name", tag);
        return index;
    }

    private static String uncompressedSha256(Path gzip) throws IOException {
        MessageDigest digest = Sha256.digest();
        try (InputStream in = new DigestInputStream(new GZIPInputStream(Files.newInputStream(gzip), 1 << 16), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
