package dev.byoos.contract;

import static dev.byoos.contract.Require.notBlank;
import static dev.byoos.contract.Require.notNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@value EventTypes#BUILD_REQUESTED} on {@value Topics#BUILDS_REQUESTED}: build one image for one
 * target. Published by spec-service's outbox relay. Everything a worker needs is in the event;
 * spec-service has already validated it (paths, package names, keys, sizes), and the worker still
 * treats it as untrusted input when it writes into the root filesystem.
 *
 * <p>The customization fields after {@code files} were added after the first release; events
 * without them read as empty, so older events stay valid.
 *
 * @param imageType      {@code standard} or {@code fips}
 * @param packages       distribution package names installed with the base's package manager
 * @param users          local users created in the image
 * @param sysctl         kernel parameters written to /etc/sysctl.d, in this map's order (spec-service sorts by key)
 * @param kernelModules  modules loaded at boot (/etc/modules-load.d)
 * @param caCertificates PEM certificates added to the image's trust store
 * @param scripts        shell scripts run in the image's root filesystem, {@code pre} before the
 *                       other layers and {@code post} after them
 * @param builder        (added later) {@value #NATIVE} (the default) or {@value #IMAGE_BUILDER}: which
 *                       of the worker's builders makes the image
 * @param cloud          (added later) the target's cloud parameters, for builders that build inside the cloud
 * @param kubernetes     (added later) the Kubernetes components the native builder installs, at these
 *                       versions; absent in events from before it was added, and then none are installed
 * @param trigger        (added later) why the build exists, one of {@link #TRIGGERS}; absent (null) in
 *                       events from before it was added. Informational: no stage acts differently on it
 */
public record BuildRequested(
        BuildCoordinates build,
        BaseImage base,
        List<FileCustomization> files,
        String imageType,
        List<String> packages,
        List<User> users,
        Map<String, String> sysctl,
        List<String> kernelModules,
        List<CaCertificate> caCertificates,
        List<Script> scripts,
        String builder,
        CloudParameters cloud,
        Kubernetes kubernetes,
        String trigger) {

    /**
     * Why a build exists: a submission through the API, a submission by event, a webhook, a
     * schedule, a changed base, a Kubernetes patch release, or a retry of a failed build.
     */
    public static final List<String> TRIGGERS = List.of("manual", "event", "webhook", "schedule", "base-updated",
            "kubernetes-patch", "retry");

    public static final String STANDARD = "standard";
    public static final String NATIVE = "native";
    public static final String IMAGE_BUILDER = "image-builder";

    public BuildRequested {
        notNull(build, "build");
        notNull(base, "base");
        files = files == null ? List.of() : List.copyOf(files);
        imageType = imageType == null ? STANDARD : imageType;
        packages = packages == null ? List.of() : List.copyOf(packages);
        users = users == null ? List.of() : List.copyOf(users);
        // LinkedHashMap, not Map.copyOf: the order of sysctl entries is the order they are written.
        sysctl = sysctl == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sysctl));
        kernelModules = kernelModules == null ? List.of() : List.copyOf(kernelModules);
        caCertificates = caCertificates == null ? List.of() : List.copyOf(caCertificates);
        scripts = scripts == null ? List.of() : List.copyOf(scripts);
        builder = builder == null ? NATIVE : builder;
        cloud = cloud == null ? CloudParameters.NONE : cloud;
        if (trigger != null && !TRIGGERS.contains(trigger)) {
            throw new IllegalArgumentException("trigger must be one of " + TRIGGERS);
        }
    }

    /** A build request without a trigger (the shape before the trigger was added). */
    public BuildRequested(BuildCoordinates build, BaseImage base, List<FileCustomization> files, String imageType,
            List<String> packages, List<User> users, Map<String, String> sysctl, List<String> kernelModules,
            List<CaCertificate> caCertificates, List<Script> scripts, String builder, CloudParameters cloud,
            Kubernetes kubernetes) {
        this(build, base, files, imageType, packages, users, sysctl, kernelModules, caCertificates, scripts, builder,
                cloud, kubernetes, null);
    }

    /** A build request for the native builder, without cloud parameters. */
    public BuildRequested(BuildCoordinates build, BaseImage base, List<FileCustomization> files, String imageType,
            List<String> packages, List<User> users, Map<String, String> sysctl, List<String> kernelModules,
            List<CaCertificate> caCertificates, List<Script> scripts) {
        this(build, base, files, imageType, packages, users, sysctl, kernelModules, caCertificates, scripts, null, null,
                null, null);
    }

    /** A build request with a base and files only (the walking skeleton's shape). */
    public BuildRequested(BuildCoordinates build, BaseImage base, List<FileCustomization> files) {
        this(build, base, files, STANDARD, null, null, null, null, null, null, null, null, null, null);
    }

    /**
     * The root filesystem the image starts from: exactly one of the fields.
     *
     * @param local       name of a base in the worker's local base catalog (a directory or a tar
     *                    archive under the worker's configured bases directory). A name, never a
     *                    host path: a spec must not make a worker read arbitrary files.
     * @param debootstrap a Debian or Ubuntu base the worker creates with debootstrap (and caches)
     * @param tarball     (added later) a root filesystem tar archive the worker downloads over https
     *                    and accepts only when its sha256 is the pinned one
     */
    public record BaseImage(String local, Debootstrap debootstrap, Tarball tarball) {
        public BaseImage {
            int kinds = (local == null ? 0 : 1) + (debootstrap == null ? 0 : 1) + (tarball == null ? 0 : 1);
            if (kinds != 1) {
                throw new IllegalArgumentException("base needs exactly one of local, debootstrap and tarball");
            }
            if (local != null) {
                notBlank(local, "base.local");
            }
        }

        public BaseImage(String local, Debootstrap debootstrap) {
            this(local, debootstrap, null);
        }

        public BaseImage(String local) {
            this(local, null, null);
        }

        public static BaseImage of(Tarball tarball) {
            return new BaseImage(null, null, tarball);
        }
    }

    /** @param url an https URL on a host the operator allowed; @param sha256 the archive's digest, lowercase hex */
    public record Tarball(String url, String sha256) {
        public Tarball {
            notBlank(url, "base.tarball.url");
            notBlank(sha256, "base.tarball.sha256");
            if (!sha256.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("base.tarball.sha256 must be 64 lowercase hex characters");
            }
        }
    }

    /** @param suite e.g. {@code bookworm}; @param mirror the archive URL, on a host the operator allowed */
    public record Debootstrap(String suite, String mirror) {
        public Debootstrap {
            notBlank(suite, "base.debootstrap.suite");
            notBlank(mirror, "base.debootstrap.mirror");
        }
    }

    /**
     * A file written into the image.
     *
     * @param path    absolute, normalised path
     * @param content UTF-8 content
     * @param mode    octal mode such as {@code 0644}
     * @param owner   {@code user:group} (names resolved in the image, or numeric ids); root:root if absent
     */
    public record FileCustomization(String path, String content, String mode, String owner) {
        public FileCustomization {
            notBlank(path, "files[].path");
            notNull(content, "files[].content");
            mode = mode == null ? "0644" : mode;
            owner = owner == null ? "root:root" : owner;
        }

        public FileCustomization(String path, String content, String mode) {
            this(path, content, mode, null);
        }
    }

    /**
     * A local user. Password logins stay locked: access is by the authorized keys only.
     *
     * @param groups            supplementary groups; created when the image lacks them
     * @param sshAuthorizedKeys OpenSSH public key lines written to ~/.ssh/authorized_keys
     */
    public record User(String name, List<String> groups, List<String> sshAuthorizedKeys) {
        public User {
            notBlank(name, "users[].name");
            groups = groups == null ? List.of() : List.copyOf(groups);
            sshAuthorizedKeys = sshAuthorizedKeys == null ? List.of() : List.copyOf(sshAuthorizedKeys);
        }
    }

    /** @param name file name stem in the trust store ({@code <name>.crt}); @param pem one PEM certificate */
    public record CaCertificate(String name, String pem) {
        public CaCertificate {
            notBlank(name, "caCertificates[].name");
            notBlank(pem, "caCertificates[].pem");
        }
    }

    /** @param stage {@code pre} or {@code post}; @param timeoutSeconds the script is killed after this */
    public record Script(String name, String stage, String content, int timeoutSeconds) {
        public Script {
            notBlank(name, "scripts[].name");
            notBlank(stage, "scripts[].stage");
            notBlank(content, "scripts[].content");
            if (timeoutSeconds <= 0) {
                throw new IllegalArgumentException("scripts[].timeoutSeconds must be positive");
            }
        }
    }

    /**
     * Where an image built inside a cloud goes, from the spec's target. Each field belongs to one
     * cloud and is empty for the others.
     *
     * @param awsRegions           regions the AMI is copied to; the first is where it is built
     * @param azureStorageLocation the Azure location the VHD is stored in
     * @param vsphereFolder        the vSphere folder the template is put in
     * @param vsphereTemplateName  the template's name in vCenter (default {@code r_u-...})
     */
    public record CloudParameters(List<String> awsRegions, String azureStorageLocation, String vsphereFolder,
            String vsphereTemplateName) {

        public static final CloudParameters NONE = new CloudParameters(null, null, null, null);

        public CloudParameters {
            awsRegions = awsRegions == null ? List.of() : List.copyOf(awsRegions);
        }
    }

    /**
     * The Kubernetes node components installed into the image, each at the version the spec (or
     * the support matrix's row for its Kubernetes release) names; versions without a leading v.
     *
     * @param version    kubeadm, kubelet and kubectl
     * @param containerd the container runtime
     * @param cni        the CNI plugins
     * @param crictl     the CRI command-line client
     */
    public record Kubernetes(String version, String containerd, String cni, String crictl) {
        public Kubernetes {
            notBlank(version, "kubernetes.version");
            notBlank(containerd, "kubernetes.containerd");
            notBlank(cni, "kubernetes.cni");
            notBlank(crictl, "kubernetes.crictl");
        }
    }
}
