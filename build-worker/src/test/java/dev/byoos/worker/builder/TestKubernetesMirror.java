package dev.byoos.worker.builder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.Sha256;
import dev.byoos.worker.builder.kubernetes.KubernetesComponentSource;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;

/**
 * A Kubernetes components mirror made at test time, laid out like the upstream downloads: stand-in
 * executables (shell scripts that say what they stand for) as the kubeadm, kubelet and kubectl
 * binaries, tarballs packed by GNU tar the way the upstream releases are, and checksum sidecars in
 * each project's own format.
 */
final class TestKubernetesMirror {

    static final BuildRequested.Kubernetes RELEASE = new BuildRequested.Kubernetes("1.30.4", "1.7.13", "1.3.0", "1.28.0");
    static final String ARCH = "amd64";
    static final String KUBEADM = "kubernetes/v1.30.4/bin/linux/amd64/kubeadm";
    static final String CONTAINERD = "containerd/v1.7.13/containerd-1.7.13-linux-amd64.tar.gz";
    static final String CNI = "cni-plugins/v1.3.0/cni-plugins-linux-amd64-v1.3.0.tgz";
    static final String CRICTL = "cri-tools/v1.28.0/crictl-v1.28.0-linux-amd64.tar.gz";
    static final List<String> CONTAINERD_BINARIES = List.of("containerd", "containerd-shim-runc-v2", "ctr");
    static final List<String> CNI_PLUGINS = List.of("bridge", "host-local", "loopback", "portmap");

    private TestKubernetesMirror() {
    }

    /** The script installed as {@code name}: what the tests expect to read back out of the image. */
    static String standIn(String name, String version) {
        return "#!/bin/sh\necho 'BYOOS test stand-in for " + name + " " + version + "'\n";
    }

    /** Fills {@code mirror} with every artifact of {@link #RELEASE} and its sidecar; @return {@code mirror} */
    static Path create(Path mirror) {
        try {
            Path kubernetes = Files.createDirectories(mirror.resolve("kubernetes/v1.30.4/bin/linux/amd64"));
            for (String binary : List.of("kubeadm", "kubelet", "kubectl")) {
                Path file = executable(kubernetes.resolve(binary), standIn(binary, "1.30.4"));
                // dl.k8s.io's sidecars hold the hex digest alone.
                Files.writeString(kubernetes.resolve(binary + ".sha256"), Sha256.of(file));
            }
            Path containerdTree = Files.createDirectories(mirror.resolve("staging/containerd/bin"));
            for (String binary : CONTAINERD_BINARIES) {
                executable(containerdTree.resolve(binary), standIn(binary, "1.7.13"));
            }
            // containerd's release holds bin/…; its sidecar is .sha256sum.
            tarball(mirror.resolve(CONTAINERD), containerdTree.getParent(), "bin");
            sidecar(mirror.resolve(CONTAINERD), ".sha256sum");

            Path cniTree = Files.createDirectories(mirror.resolve("staging/cni"));
            for (String plugin : CNI_PLUGINS) {
                executable(cniTree.resolve(plugin), standIn(plugin, "1.3.0"));
            }
            // The CNI plugins' release holds ./bridge, ./host-local, …
            tarball(mirror.resolve(CNI), cniTree, ".");
            sidecar(mirror.resolve(CNI), ".sha256");

            Path crictlTree = Files.createDirectories(mirror.resolve("staging/crictl"));
            executable(crictlTree.resolve("crictl"), standIn("crictl", "1.28.0"));
            tarball(mirror.resolve(CRICTL), crictlTree, "crictl");
            sidecar(mirror.resolve(CRICTL), ".sha256");
            run("rm", "-rf", "--", mirror.resolve("staging").toString());
            return mirror;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces an artifact's bytes and writes its sidecar again, as an upstream re-release would. */
    static void republish(Path mirror, String binaryPath, String content) throws IOException {
        Path file = executable(mirror.resolve(binaryPath), content);
        Files.writeString(mirror.resolve(binaryPath + ".sha256"), Sha256.of(file));
    }

    /** Every file below the mirror with its digest, as sha256sum writes it: a pinned checksums file. */
    static String checksums(Path mirror) throws IOException {
        StringBuilder list = new StringBuilder();
        try (var files = Files.walk(mirror)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                String name = mirror.relativize(file).toString();
                if (!name.endsWith(".sha256") && !name.endsWith(".sha256sum")) {
                    list.append(Sha256.of(file)).append("  ").append(name).append('\n');
                }
            }
        }
        return list.toString();
    }

    static KubernetesComponentSource source(Path mirror, Path cacheDir) {
        return KubernetesComponentSource.of(java.util.Optional.of(mirror.toString()), null, ARCH, cacheDir,
                java.util.Optional.empty());
    }

    private static Path executable(Path file, String content) throws IOException {
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    /** GNU tar, as the releases are packed: a tool the builder does not use for reading them. */
    private static void tarball(Path archive, Path directory, String member) throws IOException {
        Files.createDirectories(archive.getParent());
        run("tar", "--owner=0", "--group=0", "--numeric-owner", "-C", directory.toString(), "-czf", archive.toString(),
                member);
    }

    private static void sidecar(Path archive, String suffix) throws IOException {
        Files.writeString(archive.resolveSibling(archive.getFileName() + suffix),
                Sha256.of(archive) + "  " + archive.getFileName() + "\n");
    }

    static String run(String... command) {
        return new CommandRunner(new BuildLog(), new BuildCancellation())
                .run(Duration.ofMinutes(1), Path.of(".").toAbsolutePath(), null, command);
    }
}
