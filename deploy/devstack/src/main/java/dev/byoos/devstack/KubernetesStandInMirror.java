package dev.byoos.devstack;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A Kubernetes components mirror for the local stack, which cannot download the real binaries:
 * for every release row of spec-service's support matrix, development stand-ins in the upstream
 * layout (the one build-worker reads, see deploy/mirror/sync-kubernetes-components.sh) with
 * correct checksum sidecars. Each stand-in is a shell script that says what it stands for; images
 * built with them are for trying the pipeline, not for running a cluster.
 *
 * <p>The content is the same on every start (tarballs without timestamps), so the worker's image
 * cache keeps serving images built on an earlier start.
 */
final class KubernetesStandInMirror {

    static final String DIRECTORY = "kubernetes-mirror";
    static final String SUPPORT_MATRIX = "spec-service/src/main/resources/byoos/kubernetes-support-matrix.json";
    static final String ARCH = "amd64";
    static final List<String> CONTAINERD_BINARIES = List.of("containerd", "containerd-shim-runc-v2", "ctr");
    static final List<String> CNI_PLUGINS = List.of("bridge", "host-local", "loopback", "portmap", "bandwidth",
            "firewall", "tuning");

    private KubernetesStandInMirror() {
    }

    /** Writes the stand-ins of every release of the support matrix below {@code dataDir}; @return the mirror */
    static Path seed(Path repoRoot, Path dataDir) throws IOException {
        Path mirror = Files.createDirectories(dataDir.resolve(DIRECTORY));
        Files.writeString(mirror.resolve("README.txt"), """
                BYOOS devstack stand-ins, NOT Kubernetes binaries.

                Every executable below is a shell script that prints which component and version it
                stands for. The layout and the checksum sidecars are the upstream ones, so the build
                worker installs these like real releases. For real images, give the stack a real
                mirror: up --kubernetes-mirror DIR|s3://bucket/prefix (fill one with
                deploy/mirror/sync-kubernetes-components.sh).
                """);
        JsonNode releases = new ObjectMapper().readTree(repoRoot.resolve(SUPPORT_MATRIX).toFile()).get("releases");
        for (Iterator<Map.Entry<String, JsonNode>> rows = releases.fields(); rows.hasNext();) {
            Map.Entry<String, JsonNode> row = rows.next();
            writeKubernetes(mirror, row.getKey());
            writeContainerd(mirror, row.getValue().get("containerd").asText());
            writeCniPlugins(mirror, row.getValue().get("cni").asText());
            writeCrictl(mirror, row.getValue().get("crictl").asText());
        }
        return mirror;
    }

    static String standIn(String component, String version) {
        return "#!/bin/sh\n# BYOOS devstack stand-in: not the real " + component + ".\n"
                + "echo 'BYOOS devstack stand-in for " + component + " " + version
                + " (not the real binary; see README.txt of the mirror)'\n";
    }

    private static void writeKubernetes(Path mirror, String version) throws IOException {
        Path directory = Files.createDirectories(mirror.resolve("kubernetes/v" + version + "/bin/linux/" + ARCH));
        for (String binary : List.of("kubeadm", "kubelet", "kubectl")) {
            byte[] content = standIn(binary, version).getBytes(StandardCharsets.UTF_8);
            Path file = directory.resolve(binary);
            Files.write(file, content);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
            // dl.k8s.io's sidecars hold the hex digest alone.
            Files.writeString(directory.resolve(binary + ".sha256"), sha256(content));
        }
    }

    private static void writeContainerd(Path mirror, String version) throws IOException {
        Map<String, String> files = new LinkedHashMap<>();
        CONTAINERD_BINARIES.forEach(binary -> files.put("bin/" + binary, standIn(binary, version)));
        writeTarball(mirror.resolve("containerd/v" + version + "/containerd-" + version + "-linux-" + ARCH + ".tar.gz"),
                files, ".sha256sum");
    }

    private static void writeCniPlugins(Path mirror, String version) throws IOException {
        Map<String, String> files = new LinkedHashMap<>();
        CNI_PLUGINS.forEach(plugin -> files.put("./" + plugin, standIn("CNI plugin " + plugin, version)));
        writeTarball(mirror.resolve("cni-plugins/v" + version + "/cni-plugins-linux-" + ARCH + "-v" + version + ".tgz"),
                files, ".sha256");
    }

    private static void writeCrictl(Path mirror, String version) throws IOException {
        writeTarball(mirror.resolve("cri-tools/v" + version + "/crictl-v" + version + "-linux-" + ARCH + ".tar.gz"),
                Map.of("crictl", standIn("crictl", version)), ".sha256");
    }

    /** A gzipped ustar archive of executables (0755, root) and its {@code "hex  name"} sidecar. */
    private static void writeTarball(Path archive, Map<String, String> files, String sidecarSuffix) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        // Java's gzip header has no timestamp: the same files make the same archive.
        try (OutputStream gzip = new GZIPOutputStream(bytes)) {
            for (Map.Entry<String, String> file : files.entrySet()) {
                byte[] content = file.getValue().getBytes(StandardCharsets.UTF_8);
                gzip.write(ustarHeader(file.getKey(), content.length));
                gzip.write(content);
                gzip.write(new byte[(512 - content.length % 512) % 512]);
            }
            gzip.write(new byte[1024]);
        }
        Files.createDirectories(archive.getParent());
        Files.write(archive, bytes.toByteArray());
        Files.writeString(archive.resolveSibling(archive.getFileName() + sidecarSuffix),
                sha256(bytes.toByteArray()) + "  " + archive.getFileName() + "\n");
    }

    private static byte[] ustarHeader(String name, long size) {
        byte[] header = new byte[512];
        put(header, 0, name);
        put(header, 100, "0000755\0");
        put(header, 108, "0000000\0");
        put(header, 116, "0000000\0");
        put(header, 124, String.format("%011o\0", size));
        put(header, 136, "00000000000\0");
        header[156] = '0';
        put(header, 257, "ustar\0");
        put(header, 263, "00");
        put(header, 265, "root");
        put(header, 297, "root");
        // The checksum is taken with its own field as spaces.
        put(header, 148, "        ");
        long sum = 0;
        for (byte b : header) {
            sum += b & 0xff;
        }
        put(header, 148, String.format("%06o\0 ", sum));
        return header;
    }

    private static void put(byte[] header, int offset, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(bytes, 0, header, offset, bytes.length);
    }

    static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
