package dev.byoos.pack.render;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCompleted.CloudImage;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.pack.render.OsImageLocator.OsImage;

/**
 * Renders the Palette OS pack for one stored image: pack.json, values.yaml, schema.yaml, README.md
 * and logo.png in a folder {@code <name>-<version>/}, packed as {@code <name>-<version>.tar.gz}.
 * Cloud targets get a {@code generic-byoi} pack, Edge targets an {@code edge-native-byoi} pack
 * (docs/packs.md). The archive is byte-for-byte reproducible — entries in name order, fixed times,
 * owners and modes, a gzip header without timestamp — so rendering the same event twice yields the
 * same digest and a redelivered event publishes nothing new.
 */
public final class PackRenderer {

    public static final String PACK_JSON = "pack.json";
    public static final String VALUES_YAML = "values.yaml";
    public static final String README_MD = "README.md";
    public static final String LOGO_PNG = "logo.png";
    public static final String SCHEMA_YAML = "schema.yaml";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final byte[] LOGO = loadLogo();

    /** @param files the pack's files by name, in archive order */
    public record RenderedPack(String name, String version, String fileName, byte[] archive,
            Map<String, byte[]> files, OsImage osImage) {
    }

    private final OsImageLocator locator;

    public PackRenderer(TargetSettings settings) {
        this.locator = new OsImageLocator(settings);
    }

    /** @throws UnpublishablePackException when the event names no OS image Palette could resolve */
    public RenderedPack render(ArtifactStored artifact) {
        BuildCoordinates build = artifact.build();
        OsImage osImage = locator.locate(artifact);
        Map<String, byte[]> files = new TreeMap<>();
        files.put(PACK_JSON, utf8(packJson(build, artifact, osImage)));
        String values = PackValues.values(osImage.kind(), osImage.reference(), build.os().name(), build.os().version());
        files.put(VALUES_YAML, utf8(values));
        files.put(SCHEMA_YAML, utf8(PackValues.schema(osImage.kind(), osImage.cloudType())));
        ClusterProfileLayer layer = new ClusterProfileLayer(build.pack().name(), build.pack().version(), values);
        files.put(README_MD, utf8(readme(build, artifact, osImage, layer)));
        files.put(LOGO_PNG, LOGO);
        String folder = build.pack().name() + "-" + build.pack().version();
        return new RenderedPack(build.pack().name(), build.pack().version(), folder + ".tar.gz",
                tarGz(folder, files), Collections.unmodifiableMap(files), osImage);
    }

    private static String packJson(BuildCoordinates build, ArtifactStored artifact, OsImage osImage) {
        Map<String, Object> pack = new LinkedHashMap<>();
        pack.put("name", build.pack().name());
        pack.put("displayName", build.pack().displayName());
        pack.put("version", build.pack().version());
        pack.put("layer", "os");
        pack.put("cloudTypes", List.of(osImage.cloudType()));
        pack.put("constraints", Map.of("dependencies", List.of(kubernetesDependency(osImage.kind(), build))));
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put("osName", build.os().name());
        annotations.put("osVersion", build.os().version());
        if (osImage.region() != null) {
            // The annotation Palette's own AWS OS packs use for the AMI's region; every region's AMI follows.
            annotations.put("cloudRegion", osImage.region());
            annotations.put("byoos.dev/aws-amis", awsAmis(osImage));
        }
        annotations.put("byoos.dev/pack-kind", osImage.kind().paletteName());
        annotations.put("byoos.dev/kubernetes-version", build.kubernetesVersion());
        annotations.put("byoos.dev/image-sha256", artifact.sha256());
        annotations.put("byoos.dev/image-format", artifact.format());
        if (osImage.digest() != null) {
            annotations.put("byoos.dev/os-image-digest", osImage.digest());
        }
        annotations.put("byoos.dev/spec", build.team() + "/" + build.specName() + "@" + build.specVersion());
        annotations.put("byoos.dev/spec-digest", build.specDigest());
        annotations.put("byoos.dev/build-id", build.buildId());
        pack.put("annotations", annotations);
        try {
            return JSON.writeValueAsString(pack) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The image holds kubeadm and kubelet of exactly one Kubernetes version, so the profile's
     * Kubernetes pack must be that version: min = max, required.
     */
    private static Map<String, String> kubernetesDependency(PackKind kind, BuildCoordinates build) {
        String version = build.kubernetesVersion().replaceFirst("^v", "");
        Map<String, String> dependency = new LinkedHashMap<>();
        dependency.put("packName", kind.kubernetesPack());
        dependency.put("layer", "k8s");
        dependency.put("minVersion", version);
        dependency.put("maxVersion", version);
        dependency.put("type", "required");
        return dependency;
    }

    /** {@code <region>=<ami>} for every region built, the pack's own first, comma-separated. */
    private static String awsAmis(OsImage osImage) {
        StringBuilder amis = new StringBuilder(osImage.region()).append('=').append(osImage.reference());
        for (CloudImage other : osImage.alternatives()) {
            amis.append(',').append(other.region()).append('=').append(other.id());
        }
        return amis.toString();
    }

    private static String readme(BuildCoordinates build, ArtifactStored artifact, OsImage osImage,
            ClusterProfileLayer layer) {
        StringBuilder readme = new StringBuilder()
                .append("# ").append(build.pack().displayName()).append("\n\n")
                .append("A Bring Your Own OS pack (layer `os`, like Palette's `").append(osImage.kind().paletteName())
                .append("`) built by BYOOS Factory.\nIt deploys ").append(build.os().name()).append(' ')
                .append(build.os().version()).append(" with Kubernetes ").append(build.kubernetesVersion())
                .append(" on `").append(osImage.cloudType()).append("` clusters.\n\n")
                .append("## OS image\n\n")
                .append("| | |\n|---|---|\n");
        if (osImage.kind() == PackKind.EDGE_NATIVE_BYOI) {
            readme.append(row("system.uri", code(osImage.reference())))
                    .append(row("manifest digest", code(osImage.digest())));
        } else {
            readme.append(row("osImageOverride", code(osImage.reference())));
        }
        if (osImage.region() != null) {
            readme.append("\nAn AMI exists in one region. `osImageOverride` is the AMI in `").append(osImage.region())
                    .append("` (pack.json `cloudRegion`); a cluster profile for another region overrides it with")
                    .append(" that region's AMI:\n\n| region | AMI |\n|---|---|\n")
                    .append(row(osImage.region(), code(osImage.reference())));
            for (CloudImage other : osImage.alternatives()) {
                readme.append(row(other.region(), code(other.id())));
            }
        }
        readme.append("\n## Cluster profile layer\n\n")
                .append("The OS layer that uses this pack. It names this pack in the BYOOS Factory registry (added to\n")
                .append("Palette as a pack registry), not Palette's public `").append(osImage.kind().paletteName())
                .append("`: only this pack carries\nthe Kubernetes constraint (`").append(osImage.kind().kubernetesPack())
                .append("` ").append(build.kubernetesVersion().replaceFirst("^v", ""))
                .append("), the schema that checks overrides, and the provenance below.\n")
                .append("Replace the `<…>` placeholders with your registry's uid or name in Palette.\n\n")
                .append("Palette API (an entry of the cluster profile's `spec.template.packs`):\n\n```json\n")
                .append(layer.paletteApiLayerJson()).append("\n```\n\n")
                .append("Terraform (`spectrocloud` provider):\n\n```hcl\n").append(layer.terraform()).append("```\n");
        readme.append("\n## Provenance\n\n")
                .append("| | |\n|---|---|\n")
                .append(row("team", build.team()))
                .append(row("spec", build.specName() + " version " + build.specVersion()))
                .append(row("spec digest", code(build.specDigest())))
                .append(row("build", code(build.buildId())))
                .append(row("target", build.target().cloud() + " / " + build.target().format()))
                .append(row("artifact", code(artifact.uri())))
                .append(row("artifact sha256", code(artifact.sha256())))
                .append(row("artifact size", artifact.size() + " bytes"))
                .append(row("signature", artifact.signature() == null ? "none"
                        : artifact.signature().format() + " by key " + code(artifact.signature().keyId()) + ": "
                                + code(artifact.signature().value())))
                .append(row("SBOM", stored(artifact.sbom())))
                .append(row("build log", stored(artifact.log())));
        BuildCompleted.Provenance provenance = artifact.provenance();
        if (provenance != null) {
            readme.append(row("builder", provenance.builderVersion()))
                    .append(row("built", provenance.startedAt() + " to " + provenance.finishedAt()));
            if (!provenance.inputs().isEmpty()) {
                readme.append("\n### Inputs\n\n| input | sha256 | from |\n|---|---|---|\n");
                for (BuildCompleted.Input input : provenance.inputs()) {
                    readme.append("| ").append(input.name().replace("|", "\\|")).append(" | ").append(code(input.sha256()))
                            .append(" | ").append(input.uri() == null ? "" : code(input.uri())).append(" |\n");
                }
            }
        }
        return readme.toString();
    }

    private static String stored(ArtifactStored.StoredObject object) {
        return object == null ? "none"
                : code("s3://" + object.bucket() + "/" + object.key()) + " (sha256 " + code(object.sha256()) + ")";
    }

    private static String row(String name, String value) {
        return "| " + name + " | " + value.replace("|", "\\|") + " |\n";
    }

    private static String code(String value) {
        return "`" + value + "`";
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Java's GZIPOutputStream writes a zero mtime and no file name, so the gzip layer adds nothing variable. */
    private static byte[] tarGz(String folder, Map<String, byte[]> files) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(bytes);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(gzip, StandardCharsets.UTF_8.name())) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            TarArchiveEntry directory = new TarArchiveEntry(folder + "/");
            normalise(directory, 0755);
            tar.putArchiveEntry(directory);
            tar.closeArchiveEntry();
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                TarArchiveEntry entry = new TarArchiveEntry(folder + "/" + file.getKey());
                normalise(entry, 0644);
                entry.setSize(file.getValue().length);
                tar.putArchiveEntry(entry);
                tar.write(file.getValue());
                tar.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void normalise(TarArchiveEntry entry, int mode) {
        entry.setModTime(0);
        entry.setUserId(0);
        entry.setGroupId(0);
        entry.setUserName("root");
        entry.setGroupName("root");
        entry.setMode((entry.isDirectory() ? TarArchiveEntry.DEFAULT_DIR_MODE & ~0777 : TarArchiveEntry.DEFAULT_FILE_MODE & ~0777) | mode);
    }

    private static byte[] loadLogo() {
        try (InputStream in = PackRenderer.class.getResourceAsStream("/pack/logo.png")) {
            if (in == null) {
                throw new IllegalStateException("pack/logo.png is missing from the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
