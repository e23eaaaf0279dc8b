package dev.byoos.worker.builder.kubernetes;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.rootfs.RootFilesystem;

/**
 * Installs a build's verified Kubernetes release artifacts ({@link KubernetesComponentSource}) into
 * the tree the way Kubernetes Image Builder lays out a kubeadm node: kubeadm, kubelet and kubectl
 * in /usr/bin; containerd's binaries and crictl in /usr/local/bin; the CNI plugins in
 * /opt/cni/bin; containerd and kubelet as systemd services enabled for multi-user.target, with the
 * configuration kubeadm expects (systemd cgroup driver, the kubeadm drop-in, crictl pointed at
 * containerd, the kernel modules and sysctl settings a CNI needs).
 */
public final class KubernetesComponentsLayer {

    public static final String CONTAINERD_UNIT = "/usr/local/lib/systemd/system/containerd.service";
    public static final String KUBELET_UNIT = "/usr/lib/systemd/system/kubelet.service";
    public static final String KUBEADM_DROP_IN = "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf";
    public static final String CONTAINERD_CONFIG = "/etc/containerd/config.toml";
    public static final String CRICTL_CONFIG = "/etc/crictl.yaml";
    public static final String MODULES_CONF = "/etc/modules-load.d/k8s.conf";
    public static final String SYSCTL_CONF = "/etc/sysctl.d/99-kubernetes-cri.conf";
    static final String WANTS = "/etc/systemd/system/multi-user.target.wants/";
    static final String CNI_BIN = "/opt/cni/bin";
    static final String CONTAINERD_SOCKET = "unix:///run/containerd/containerd.sock";
    private static final Pattern EXECUTABLE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final String EXECUTABLE = "0755";
    private static final String CONFIG = "0644";

    /**
     * One installed component, for the SBOM.
     *
     * @param sha256 of the release artifact as published (the binary itself, or the tarball it came in)
     * @param paths  every image path the component put a file at
     */
    public record Installed(String name, String version, String purl, String sha256, String source, List<String> paths) {
    }

    private final RootFilesystem rootfs;

    public KubernetesComponentsLayer(RootFilesystem rootfs) {
        this.rootfs = rootfs;
    }

    /** @return what was installed, in installation order */
    public List<Installed> install(KubernetesComponentSource.Components components) {
        List<Installed> installed = new ArrayList<>();
        for (KubernetesComponentSource.Fetched fetched : components.artifacts()) {
            KubernetesRelease.Artifact artifact = fetched.artifact();
            List<String> paths = switch (artifact.component()) {
                case "kubeadm", "kubelet", "kubectl" -> List.of(installBinary(fetched, "/usr/bin/" + artifact.component()));
                case "containerd" -> installFromTarball(fetched, "bin/", "/usr/local/bin", "containerd");
                case "cni-plugins" -> installFromTarball(fetched, "", CNI_BIN, "bridge");
                case "crictl" -> installFromTarball(fetched, "", "/usr/local/bin", "crictl");
                default -> throw new IllegalStateException("no installation for " + artifact.component());
            };
            installed.add(new Installed(artifact.component(), artifact.version(), artifact.purl(), fetched.sha256(),
                    fetched.source(), paths));
        }
        writeConfiguration();
        return List.copyOf(installed);
    }

    private String installBinary(KubernetesComponentSource.Fetched fetched, String imagePath) {
        KubernetesComponentSource.readVerified(fetched, in -> rootfs.install(imagePath, in, EXECUTABLE, 0, 0));
        return imagePath;
    }

    /**
     * Installs the tarball's files directly in {@code directory} (those below {@code directory}
     * only: containerd's README and licences stay out), each 0755 root-owned.
     *
     * @param required a file the archive must have, or it is not the release it claims to be
     */
    private List<String> installFromTarball(KubernetesComponentSource.Fetched fetched, String directory,
            String target, String required) {
        String what = fetched.artifact().component() + " " + fetched.artifact().version() + " (" + fetched.source() + ")";
        List<String> paths = new ArrayList<>();
        KubernetesComponentSource.readVerified(fetched, tarball -> ReleaseTarball.readFiles(tarball, what, (name, mode, content) -> {
            if (!name.startsWith(directory)) {
                return;
            }
            String file = name.substring(directory.length());
            if (!EXECUTABLE_NAME.matcher(file).matches()) {
                // Nested directories or odd names: not part of what the release installs.
                return;
            }
            String imagePath = target + "/" + file;
            rootfs.install(imagePath, content, EXECUTABLE, 0, 0);
            paths.add(imagePath);
        }));
        if (!paths.contains(target + "/" + required)) {
            throw new BuildException(BuildException.Kind.WORKER_SETUP, "KUBERNETES_ARCHIVE_INVALID",
                    what + " is refused: it has no " + directory + required + ", so it is not the release it is named after",
                    null);
        }
        return List.copyOf(paths);
    }

    private void writeConfiguration() {
        rootfs.write(CONTAINERD_UNIT, """
                # Written by BYOOS Factory: containerd, the node's container runtime (binaries in /usr/local/bin).
                [Unit]
                Description=containerd container runtime
                Documentation=https://containerd.io
                After=network.target local-fs.target

                [Service]
                ExecStart=/usr/local/bin/containerd
                # containerd tells systemd when its socket is ready, so kubelet starts after that.
                Type=notify
                # Containers live in containerd's cgroup subtree; stopping containerd must not kill them.
                Delegate=yes
                KillMode=process
                Restart=always
                RestartSec=5
                # Limits are the containers' to set; containerd itself must not run into them.
                LimitNPROC=infinity
                LimitCORE=infinity
                LimitNOFILE=infinity
                TasksMax=infinity
                # Under memory pressure the kernel should pick a container, not the runtime.
                OOMScoreAdjust=-999

                [Install]
                WantedBy=multi-user.target
                """, CONFIG, 0, 0);
        rootfs.write(CONTAINERD_CONFIG, """
                # Written by BYOOS Factory: containerd for a kubeadm node.
                version = 2

                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                  runtime_type = "io.containerd.runc.v2"

                # kubeadm configures kubelet with the systemd cgroup driver; the runtime must use the same one.
                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                  SystemdCgroup = true

                [plugins."io.containerd.grpc.v1.cri".cni]
                  bin_dir = "/opt/cni/bin"
                  conf_dir = "/etc/cni/net.d"
                """, CONFIG, 0, 0);
        rootfs.write(CRICTL_CONFIG, "# Written by BYOOS Factory: crictl talks to containerd.\n"
                + "runtime-endpoint: " + CONTAINERD_SOCKET + "\n"
                + "image-endpoint: " + CONTAINERD_SOCKET + "\n"
                + "timeout: 10\n", CONFIG, 0, 0);
        rootfs.write(KUBELET_UNIT, """
                # Written by BYOOS Factory: kubelet, the node agent. kubeadm configures it (10-kubeadm.conf).
                [Unit]
                Description=kubelet: the Kubernetes node agent
                Documentation=https://kubernetes.io/docs/
                Wants=network-online.target containerd.service
                After=network-online.target containerd.service

                [Service]
                ExecStart=/usr/bin/kubelet
                # Until kubeadm init or join has written its configuration, kubelet exits; it is retried for ever.
                Restart=always
                RestartSec=10
                StartLimitInterval=0

                [Install]
                WantedBy=multi-user.target
                """, CONFIG, 0, 0);
        rootfs.write(KUBEADM_DROP_IN, """
                # Written by BYOOS Factory: the flags kubeadm's files give kubelet once init or join has run.
                [Service]
                Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
                Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
                # kubeadm writes KUBELET_KUBEADM_ARGS here at init or join.
                EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
                # The operator's KUBELET_EXTRA_ARGS, if any.
                EnvironmentFile=-/etc/default/kubelet
                ExecStart=
                ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
                """, CONFIG, 0, 0);
        rootfs.symlink(WANTS + "containerd.service", CONTAINERD_UNIT);
        rootfs.symlink(WANTS + "kubelet.service", KUBELET_UNIT);
        rootfs.write(MODULES_CONF, """
                # Written by BYOOS Factory: containerd's snapshotter needs overlay; bridged pod traffic needs br_netfilter.
                overlay
                br_netfilter
                """, CONFIG, 0, 0);
        rootfs.write(SYSCTL_CONF, """
                # Written by BYOOS Factory: pod traffic across bridges goes through iptables, and nodes route it.
                net.bridge.bridge-nf-call-iptables = 1
                net.bridge.bridge-nf-call-ip6tables = 1
                net.ipv4.ip_forward = 1
                """, CONFIG, 0, 0);
        rootfs.createDirectory("/etc/cni/net.d", "0755", 0, 0);
    }
}
