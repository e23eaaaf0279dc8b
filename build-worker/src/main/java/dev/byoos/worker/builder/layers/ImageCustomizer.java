package dev.byoos.worker.builder.layers;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.kubernetes.KubernetesComponentSource;
import dev.byoos.worker.builder.kubernetes.KubernetesComponentsLayer;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;
import dev.byoos.worker.builder.rootfs.RootFilesystem;
import dev.byoos.worker.builder.sandbox.Sandbox;

/**
 * Applies a spec's customization layers to the root filesystem, in this order: pre scripts,
 * Kubernetes components, packages, users, files, sysctl, kernel modules, CA certificates, post
 * scripts. The Kubernetes components come before packages, so that packages and later layers see
 * (and may adjust) a complete node. Users come before files, so a file can be owned by a user the
 * same spec creates as well as by the base's accounts. The build's cancellation is checked between
 * layers. The first three install ({@link #install}), the rest configure ({@link #configure}); the
 * builder keeps the tree between the two when installing was slow.
 */
public final class ImageCustomizer {

    public static final String SYSCTL_CONF = "/etc/sysctl.d/90-byoos.conf";
    public static final String MODULES_CONF = "/etc/modules-load.d/byoos.conf";
    /** Where update-ca-certificates looks for local certificates on Debian and Ubuntu. */
    static final String LOCAL_CA_DIRECTORY = "/usr/local/share/ca-certificates";
    /** The bundle OpenSSL, curl and Go read on Debian and Ubuntu. */
    public static final String CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
    public static final String PRE = "pre";
    public static final String POST = "post";

    private static final Pattern SYSCTL_KEY = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_./*-]*");
    private static final Pattern MODULE_NAME = Pattern.compile("[A-Za-z0-9_-]+");
    private static final Pattern CERTIFICATE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private final RootFilesystem rootfs;
    private final ImageShell shell;
    private final BuildCancellation cancellation;

    public ImageCustomizer(RootFilesystem rootfs, CommandRunner commands, Sandbox sandbox, BuildLog log,
            BuildCancellation cancellation) {
        this.rootfs = rootfs;
        this.shell = new ImageShell(rootfs, commands, sandbox, log);
        this.cancellation = cancellation;
    }

    /**
     * The layers that run programs in the tree or install software: pre scripts, the Kubernetes
     * components, packages. What they leave can be kept and reused ({@link TreeCache}) when only
     * later layers change.
     *
     * @param kubernetes the request's Kubernetes release artifacts, fetched and verified; empty when it asks for none
     * @return the Kubernetes components installed, for the SBOM
     */
    public List<KubernetesComponentsLayer.Installed> install(BuildRequested request,
            Optional<KubernetesComponentSource.Components> kubernetes) {
        List<KubernetesComponentsLayer.Installed> installed = new ArrayList<>();
        apply(List.of(
                () -> runScripts(request.scripts(), PRE),
                () -> kubernetes.ifPresent(components -> installed.addAll(
                        new KubernetesComponentsLayer(rootfs).install(components))),
                () -> shell.installPackages(request.packages())));
        return List.copyOf(installed);
    }

    /** Whether {@link #install} has anything slow to do again (Kubernetes components alone are quick to copy). */
    public static boolean installsSomethingSlow(BuildRequested request) {
        return !request.packages().isEmpty()
                || request.scripts().stream().anyMatch(script -> PRE.equals(script.stage()));
    }

    /** The layers after {@link #install}: users, files, sysctl, kernel modules, CA certificates, post scripts. */
    public void configure(BuildRequested request) {
        apply(List.of(
                () -> addUsers(request.users()),
                () -> writeFiles(request.files()),
                () -> writeSysctl(request.sysctl()),
                () -> writeKernelModules(request.kernelModules()),
                () -> addCaCertificates(request.caCertificates()),
                () -> runScripts(request.scripts(), POST)));
    }

    private void apply(List<Runnable> layers) {
        for (Runnable layer : layers) {
            cancellation.throwIfCancelled();
            layer.run();
        }
    }

    private void runScripts(List<BuildRequested.Script> scripts, String stage) {
        for (BuildRequested.Script script : scripts) {
            if (stage.equals(script.stage())) {
                shell.runScript(script);
            }
        }
    }

    private void writeFiles(List<BuildRequested.FileCustomization> files) {
        ImageAccounts accounts = new ImageAccounts(rootfs);
        for (BuildRequested.FileCustomization file : files) {
            ImageAccounts.Owner owner = accounts.resolve(file.owner(), file.path());
            rootfs.write(file.path(), file.content(), file.mode(), owner.uid(), owner.gid());
        }
    }

    private void addUsers(List<BuildRequested.User> users) {
        if (users.isEmpty()) {
            return;
        }
        ImageAccounts accounts = new ImageAccounts(rootfs);
        for (BuildRequested.User user : users) {
            ImageAccounts.Owner owner = accounts.addUser(user);
            if (!rootfs.has("/home")) {
                rootfs.createDirectory("/home", "0755", 0, 0);
            }
            String home = "/home/" + user.name();
            rootfs.createDirectory(home, "0750", owner.uid(), owner.gid());
            if (!user.sshAuthorizedKeys().isEmpty()) {
                user.sshAuthorizedKeys().forEach(key -> requireSingleLine(key, "an SSH key of user " + user.name()));
                rootfs.createDirectory(home + "/.ssh", "0700", owner.uid(), owner.gid());
                rootfs.write(home + "/.ssh/authorized_keys", String.join("\n", user.sshAuthorizedKeys()) + "\n",
                        "0600", owner.uid(), owner.gid());
            }
        }
    }

    private void writeSysctl(Map<String, String> sysctl) {
        if (sysctl.isEmpty()) {
            return;
        }
        StringBuilder conf = new StringBuilder("# Written by BYOOS Factory from the image spec.\n");
        sysctl.forEach((key, value) -> {
            require(SYSCTL_KEY, key, "sysctl key");
            requireSingleLine(value, "the value of sysctl " + key);
            conf.append(key).append(" = ").append(value).append('\n');
        });
        rootfs.write(SYSCTL_CONF, conf.toString(), "0644", 0, 0);
    }

    private void writeKernelModules(List<String> modules) {
        if (modules.isEmpty()) {
            return;
        }
        modules.forEach(module -> require(MODULE_NAME, module, "kernel module name"));
        rootfs.write(MODULES_CONF, "# Written by BYOOS Factory from the image spec.\n" + String.join("\n", modules) + "\n",
                "0644", 0, 0);
    }

    /**
     * Does what update-ca-certificates would: the certificate goes to the local certificate
     * directory, and is appended to the bundle when the base has one. (The per-certificate links
     * in /etc/ssl/certs are not made; the next update-ca-certificates run in the image rebuilds
     * everything from the local directory anyway.)
     */
    private void addCaCertificates(List<BuildRequested.CaCertificate> certificates) {
        for (BuildRequested.CaCertificate certificate : certificates) {
            require(CERTIFICATE_NAME, certificate.name(), "CA certificate name");
            String pem = certificate.pem().endsWith("\n") ? certificate.pem() : certificate.pem() + "\n";
            rootfs.write(LOCAL_CA_DIRECTORY + "/" + certificate.name() + ".crt", pem, "0644", 0, 0);
            if (rootfs.hasRegularFile(CA_BUNDLE)) {
                rootfs.append(CA_BUNDLE, pem);
            }
        }
    }

    private static void require(Pattern pattern, String value, String what) {
        if (!pattern.matcher(value).matches()) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "INVALID_NAME",
                    "'" + value + "' is not a valid " + what, null);
        }
    }

    private static void requireSingleLine(String value, String what) {
        if (value.contains("\n") || value.contains("\r")) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "INVALID_VALUE", what + " spans several lines",
                    null);
        }
    }
}
