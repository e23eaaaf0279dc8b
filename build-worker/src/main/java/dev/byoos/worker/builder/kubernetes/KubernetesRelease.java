package dev.byoos.worker.builder.kubernetes;

import java.util.List;
import java.util.regex.Pattern;

import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildException;

/**
 * The Kubernetes node components of one build at their versions for one architecture, and where
 * each release artifact lives in a mirror. A mirror is laid out like the upstream downloads
 * (dl.k8s.io and the GitHub releases), so that it can be a plain copy of them:
 * <pre>
 * kubernetes/v{K}/bin/linux/{arch}/kubeadm|kubelet|kubectl          + .sha256     (hex only)
 * containerd/v{C}/containerd-{C}-linux-{arch}.tar.gz                 + .sha256sum  ("hex  name")
 * cni-plugins/v{N}/cni-plugins-linux-{arch}-v{N}.tgz                 + .sha256     ("hex  name")
 * cri-tools/v{R}/crictl-v{R}-linux-{arch}.tar.gz                     + .sha256     ("hex  name")
 * </pre>
 */
public record KubernetesRelease(String kubernetes, String containerd, String cni, String crictl, String arch) {

    /** A release version: it becomes part of mirror paths, so nothing but a semantic version gets through. */
    private static final Pattern VERSION = Pattern.compile("\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.]+)?");
    private static final Pattern ARCH = Pattern.compile("[a-z0-9]+");

    /** How a release artifact is installed. */
    enum Packaging {
        /** A single executable, installed as it is. */
        BINARY,
        /** A gzipped tar archive of executables. */
        TARBALL
    }

    /**
     * One release artifact.
     *
     * @param component    what the SBOM and the provenance call it: kubeadm, kubelet, kubectl, containerd, cni-plugins, crictl
     * @param path         where it is in a mirror, relative to the mirror's root
     * @param checksumPath its checksum sidecar, relative to the mirror's root
     * @param purl         its package URL
     */
    public record Artifact(String component, String version, String path, String checksumPath, Packaging packaging,
            String purl) {

        /** The file name the artifact has upstream, which a {@code "hex  name"} sidecar names. */
        String fileName() {
            return path.substring(path.lastIndexOf('/') + 1);
        }
    }

    public KubernetesRelease {
        requireVersion(kubernetes, "kubernetes.version");
        requireVersion(containerd, "kubernetes.containerd");
        requireVersion(cni, "kubernetes.cni");
        requireVersion(crictl, "kubernetes.crictl");
        if (!ARCH.matcher(arch).matches()) {
            throw new BuildException(BuildException.Kind.WORKER_SETUP, "INVALID_KUBERNETES_ARCH",
                    "byoos.worker.kubernetes-components.arch '" + arch + "' is not an architecture name such as amd64", null);
        }
    }

    /** The request's versions; a leading {@code v} is tolerated, as spec-service drops it too. */
    static KubernetesRelease of(BuildRequested.Kubernetes kubernetes, String arch) {
        return new KubernetesRelease(withoutV(kubernetes.version()), withoutV(kubernetes.containerd()),
                withoutV(kubernetes.cni()), withoutV(kubernetes.crictl()), arch);
    }

    /** In the order they are installed. */
    List<Artifact> artifacts() {
        String kubernetesDir = "kubernetes/v" + kubernetes + "/bin/linux/" + arch + "/";
        String containerdFile = "containerd/v" + containerd + "/containerd-" + containerd + "-linux-" + arch + ".tar.gz";
        String cniFile = "cni-plugins/v" + cni + "/cni-plugins-linux-" + arch + "-v" + cni + ".tgz";
        String crictlFile = "cri-tools/v" + crictl + "/crictl-v" + crictl + "-linux-" + arch + ".tar.gz";
        return List.of(
                kubernetesBinary("kubeadm", kubernetesDir),
                kubernetesBinary("kubelet", kubernetesDir),
                kubernetesBinary("kubectl", kubernetesDir),
                new Artifact("containerd", containerd, containerdFile, containerdFile + ".sha256sum", Packaging.TARBALL,
                        "pkg:github/containerd/containerd@" + containerd + "?arch=" + arch),
                new Artifact("cni-plugins", cni, cniFile, cniFile + ".sha256", Packaging.TARBALL,
                        "pkg:github/containernetworking/plugins@" + cni + "?arch=" + arch),
                new Artifact("crictl", crictl, crictlFile, crictlFile + ".sha256", Packaging.TARBALL,
                        "pkg:github/kubernetes-sigs/cri-tools@" + crictl + "?arch=" + arch));
    }

    private Artifact kubernetesBinary(String name, String directory) {
        return new Artifact(name, kubernetes, directory + name, directory + name + ".sha256", Packaging.BINARY,
                "pkg:generic/" + name + "@" + kubernetes + "?arch=" + arch);
    }

    /** For messages: {@code kubernetes 1.30.4, containerd 1.7.13, cni 1.3.0, crictl 1.28.0 (amd64)}. */
    String describe() {
        return "kubernetes " + kubernetes + ", containerd " + containerd + ", cni " + cni + ", crictl " + crictl
                + " (" + arch + ")";
    }

    private static String withoutV(String version) {
        return version.startsWith("v") ? version.substring(1) : version;
    }

    private static void requireVersion(String version, String field) {
        if (!VERSION.matcher(version).matches()) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "INVALID_KUBERNETES_VERSION",
                    field + " '" + version + "' is not a version such as 1.30.4", null);
        }
    }
}
