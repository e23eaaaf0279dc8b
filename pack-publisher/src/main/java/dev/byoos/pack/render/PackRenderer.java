package dev.byoos.pack.render;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCoordinates;

/**
 * Renders the Palette BYOOS pack ({@code generic-byoi} layout) for one stored image: pack.json,
 * values.yaml, README.md and logo.png, packed as {@code <name>-<version>.tar.gz}. The archive is
 * byte-for-byte reproducible (fixed times, owners and order), so rendering the same build twice
 * yields the same digest and a redelivered event publishes nothing new.
 */
public final class PackRenderer {

    /** Palette cloud type per target cloud; qemu images have no Palette cloud, so they are "custom". */
    static final Map<String, String> CLOUD_TYPES = Map.of(
            "aws", "aws", "azure", "azure", "gcp", "gcp", "vsphere", "vsphere", "maas", "maas",
            "edge", "edge-native", "qemu", "custom");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final byte[] LOGO = loadLogo();

    public record RenderedPack(String name, String version, String fileName, byte[] archive,
            Map<String, byte[]> files, String osImageOverride) {
    }

    public RenderedPack render(ArtifactStored artifact) {
        BuildCoordinates build = artifact.build();
        String name = build.pack().name();
        String version = build.pack().version();
        String osImageOverride = osImageOverride(artifact);

        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("pack.json", packJson(build, artifact).getBytes(StandardCharsets.UTF_8));
        files.put("values.yaml", valuesYaml(build, osImageOverride).getBytes(StandardCharsets.UTF_8));
        files.put("README.md", readme(build, artifact, osImageOverride).getBytes(StandardCharsets.UTF_8));
        files.put("logo.png", LOGO);
        String folder = name + "-" + version;
        return new RenderedPack(name, version, folder + ".tar.gz", tarGz(folder, files), Map.copyOf(files),
                osImageOverride);
    }

    /** What Palette's {@code pack.osImageOverride} points at for this target (docs/architecture.md). */
    static String osImageOverride(ArtifactStored artifact) {
        return artifact.uri();
    }

    private static String packJson(BuildCoordinates build, ArtifactStored artifact) {
        Map<String, Object> pack = new LinkedHashMap<>();
        pack.put("name", build.pack().name());
        pack.put("displayName", build.pack().displayName());
        pack.put("version", build.pack().version());
        pack.put("layer", "os");
        pack.put("addonType", "");
        pack.put("cloudTypes", List.of(CLOUD_TYPES.getOrDefault(build.target().cloud(), "custom")));
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put("osName", build.os().name());
        annotations.put("osVersion", build.os().version());
        annotations.put("byoos.dev/kubernetes-version", build.kubernetesVersion());
        annotations.put("byoos.dev/image-sha256", artifact.sha256());
        annotations.put("byoos.dev/image-format", artifact.format());
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

    private static String valuesYaml(BuildCoordinates build, String osImageOverride) {
        return "# Bring Your Own OS: the node image this pack deploys.\n"
                + "pack:\n"
                + "  osImageOverride: " + quote(osImageOverride) + "\n"
                + "  osName: " + quote(build.os().name()) + "\n"
                + "  osVersion: " + quote(build.os().version()) + "\n";
    }

    private static String readme(BuildCoordinates build, ArtifactStored artifact, String osImageOverride) {
        return "# " + build.pack().displayName() + "\n\n"
                + "A Bring Your Own OS pack (layer `os`) built by BYOOS Factory. It points Palette at a\n"
                + build.os().name() + " " + build.os().version() + " node image with Kubernetes "
                + build.kubernetesVersion() + ".\n\n"
                + "## Image\n\n"
                + "| | |\n|---|---|\n"
                + "| osImageOverride | `" + osImageOverride + "` |\n"
                + "| format | " + artifact.format() + " |\n"
                + "| size | " + artifact.size() + " bytes |\n"
                + "| sha256 | `" + artifact.sha256() + "` |\n\n"
                + "## Provenance\n\n"
                + "| | |\n|---|---|\n"
                + "| team | " + build.team() + " |\n"
                + "| spec | " + build.specName() + " version " + build.specVersion() + " |\n"
                + "| spec digest | `" + build.specDigest() + "` |\n"
                + "| build | `" + build.buildId() + "` |\n"
                + "| target | " + build.target().cloud() + " / " + build.target().format() + " |\n";
    }

    private static String quote(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static byte[] tarGz(String folder, Map<String, byte[]> files) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(bytes);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(gzip, StandardCharsets.UTF_8.name())) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            TarArchiveEntry directory = new TarArchiveEntry(folder + "/");
            normalise(directory, 0755);
            tar.putArchiveEntry(directory);
            tar.closeArchiveEntry();
            for (var file : files.entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
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
