package dev.byoos.worker.builder.layers;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.PackageNetwork;
import dev.byoos.worker.builder.core.Reproducibility;
import dev.byoos.worker.builder.process.CommandRunner;
import dev.byoos.worker.builder.rootfs.RootFilesystem;
import dev.byoos.worker.builder.sandbox.Sandbox;

/**
 * Runs shell scripts inside the image's root filesystem, each in a {@link Sandbox}: the spec's pre
 * and post scripts with no network at all, and the base's own package manager with the allowed
 * package mirrors alone (through the worker's proxy). A script that breaks a sandbox limit fails
 * with that limit's code (MEMORY_LIMIT, PROCESS_LIMIT, CPU_LIMIT, OUTPUT_LIMIT, TREE_TOO_LARGE,
 * TREE_TOO_MANY_FILES).
 */
final class ImageShell {

    /**
     * What a script sees: a plain root environment, none of the worker's variables (credentials),
     * and the image's fixed time for tools that honour SOURCE_DATE_EPOCH (reproducible images).
     */
    static final Map<String, String> ENVIRONMENT = Map.of(
            "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME", "/root",
            "LC_ALL", "C",
            "DEBIAN_FRONTEND", "noninteractive",
            "SOURCE_DATE_EPOCH", Long.toString(Reproducibility.SOURCE_DATE_EPOCH.getEpochSecond()));
    /** A package installation's: {@link #ENVIRONMENT} and the proxy to the mirrors. */
    static final Map<String, String> THROUGH_PROXY = Map.of(
            "PATH", ENVIRONMENT.get("PATH"), "HOME", "/root", "LC_ALL", "C", "DEBIAN_FRONTEND", "noninteractive",
            "SOURCE_DATE_EPOCH", ENVIRONMENT.get("SOURCE_DATE_EPOCH"),
            "http_proxy", Sandbox.PROXY_URL, "https_proxy", Sandbox.PROXY_URL);
    private static final Duration PACKAGES_TIMEOUT = Duration.ofMinutes(30);
    private static final String PACKAGES = "PACKAGES";
    /** Debian and RPM package names; never an option (no leading '-'), never shell syntax. */
    private static final Pattern PACKAGE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9+._-]*");
    private static final List<String> COMMAND_DIRECTORIES = List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin");
    /** What apt and dnf print when the worker's mirror proxy refuses a host: no later try will succeed. */
    private static final Pattern MIRROR_REFUSED = Pattern.compile("403\\s+Forbidden|status code: 403");
    /** What apt and dnf print when a mirror's TLS certificate does not chain to a CA they trust. */
    private static final Pattern MIRROR_UNTRUSTED = Pattern.compile(
            "Certificate verification failed|certificate is NOT trusted|SSL certificate problem|Curl error \\(60\\)");
    /**
     * What apt and dnf print when the mirror cannot be reached (as opposed to a package that does
     * not exist): the spec is fine, the network or the mirror is not, and a later try may succeed.
     */
    private static final Pattern MIRROR_UNREACHABLE = Pattern.compile(
            "Temporary failure resolving|Could not resolve|Could not connect to|Failed to fetch"
                    + "|Connection (failed|refused|timed out)|Cannot download repomd\\.xml"
                    + "|Curl error \\(\\d+\\): Couldn't (resolve|connect)");

    /** apt's and dnf's own proxy settings (the environment's are set too, for the tools they call). */
    private static final String APT_THROUGH_PROXY = " -o Acquire::http::Proxy=" + Sandbox.PROXY_URL
            + " -o Acquire::https::Proxy=" + Sandbox.PROXY_URL + " -o Acquire::http::Pipeline-Depth=0";
    private static final String DNF_THROUGH_PROXY = " --setopt=proxy=" + Sandbox.PROXY_URL;

    private final RootFilesystem rootfs;
    private final CommandRunner commands;
    private final Sandbox sandbox;
    private final BuildLog log;

    ImageShell(RootFilesystem rootfs, CommandRunner commands, Sandbox sandbox, BuildLog log) {
        this.rootfs = rootfs;
        this.commands = commands;
        this.sandbox = sandbox;
        this.log = log;
    }

    /** @throws BuildException BAD_INPUT SCRIPT_FAILED or SCRIPT_TIMEOUT */
    void runScript(BuildRequested.Script script) {
        run("script '" + script.name() + "' (" + script.stage() + ")", script.content(),
                Duration.ofSeconds(script.timeoutSeconds()), "SCRIPT", Sandbox.Network.NONE);
    }

    /**
     * Installs packages with the base's apt-get or dnf, in the sandbox, from the mirrors its own
     * sources name; a mirror host the worker does not allow answers 403 through the proxy.
     *
     * @throws BuildException BAD_INPUT NO_PACKAGE_MANAGER, PACKAGES_FAILED (a package that does not
     *                        exist, a failing maintainer script), MIRROR_NOT_ALLOWED or PACKAGES_TIMEOUT; INFRASTRUCTURE
     *                        PACKAGE_MIRROR_UNREACHABLE; WORKER_SETUP MIRROR_CERTIFICATE_UNTRUSTED
     */
    void installPackages(List<String> packages) {
        if (packages.isEmpty()) {
            return;
        }
        for (String name : packages) {
            if (!PACKAGE_NAME.matcher(name).matches()) {
                throw new BuildException(BuildException.Kind.BAD_INPUT, "INVALID_PACKAGE",
                        "'" + name + "' is not a package name", null);
            }
        }
        String names = String.join(" ", packages);
        PackageNetwork network = sandbox.network();
        // The installation's own bundle (the worker's CAs and the extra ones), removed with it: the
        // image's trust store is not touched, so nothing of the organisation's stays in the image.
        String bundle = "/byoos-" + UUID.randomUUID() + "-ca.pem";
        String script;
        if (hasCommand("apt-get")) {
            String apt = "apt-get" + APT_THROUGH_PROXY
                    + (network.hasCaCertificates() ? " -o Acquire::https::CaInfo=" + bundle : "");
            script = "set -e\n" + apt + " update\n" + apt + " install -y --no-install-recommends " + names
                    + "\napt-get clean\n";
        } else if (hasCommand("dnf")) {
            script = "set -e\ndnf" + DNF_THROUGH_PROXY + (network.hasCaCertificates() ? " --setopt=sslcacert=" + bundle
                    : "") + " install -y " + names + "\ndnf clean all\n";
        } else {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "NO_PACKAGE_MANAGER",
                    "base " + rootfs.baseName() + " has no package manager; packages cannot be installed", null);
        }
        if (network.hasCaCertificates()) {
            rootfs.write(bundle, network.trustBundle(), "0644", 0, 0);
        }
        try {
            run("package installation", script, PACKAGES_TIMEOUT, PACKAGES, Sandbox.Network.PACKAGE_MIRRORS);
        } finally {
            if (network.hasCaCertificates()) {
                rootfs.delete(bundle);
            }
        }
    }

    private void run(String what, String content, Duration timeout, String codePrefix, Sandbox.Network network) {
        if (!hasCommand("sh")) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "NO_SHELL",
                    "base " + rootfs.baseName() + " has no /bin/sh; " + what + " cannot run", null);
        }
        // A file rather than stdin, so the script's own commands cannot read the rest of it.
        String file = "/byoos-" + UUID.randomUUID() + ".sh";
        rootfs.write(file, content, "0700", 0, 0);
        try {
            Map<String, String> environment = network == Sandbox.Network.NONE ? ENVIRONMENT : THROUGH_PROXY;
            CommandRunner.Exit exit = sandbox.run(rootfs.root(), List.of("/bin/sh", file), environment, network,
                    timeout, commands, log);
            if (exit.breached().isPresent()) {
                throw new BuildException(BuildException.Kind.BAD_INPUT, exit.breached().get(),
                        what + " " + sandbox.describe(exit.breached().get()) + " and was stopped: "
                                + CommandRunner.lastLines(exit.output()), null);
            }
            if (exit.timedOut()) {
                throw new BuildException(BuildException.Kind.BAD_INPUT, codePrefix + "_TIMEOUT",
                        what + " did not finish within " + timeout.toSeconds() + " s and was stopped", null);
            }
            if (exit.code() != 0 && codePrefix.equals(PACKAGES) && MIRROR_REFUSED.matcher(exit.output()).find()) {
                throw new BuildException(BuildException.Kind.BAD_INPUT, "MIRROR_NOT_ALLOWED",
                        what + " asked for a package mirror this worker does not allow"
                                + " (byoos.worker.allowed-mirror-hosts; the base's sources name it): "
                                + CommandRunner.lastLines(exit.output()), null);
            }
            if (exit.code() != 0 && codePrefix.equals(PACKAGES) && MIRROR_UNTRUSTED.matcher(exit.output()).find()) {
                throw new BuildException(BuildException.Kind.WORKER_SETUP, "MIRROR_CERTIFICATE_UNTRUSTED",
                        what + " does not trust a package mirror's certificate (behind a TLS-intercepting proxy, or"
                                + " a mirror with a private CA: give the CA to byoos.worker.packages.ca-certificates): "
                                + CommandRunner.lastLines(exit.output()), null);
            }
            if (exit.code() != 0 && codePrefix.equals(PACKAGES) && MIRROR_UNREACHABLE.matcher(exit.output()).find()) {
                throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "PACKAGE_MIRROR_UNREACHABLE",
                        what + " could not reach the package mirror (exit " + exit.code() + "): "
                                + CommandRunner.lastLines(exit.output()), null);
            }
            if (exit.code() != 0) {
                throw new BuildException(BuildException.Kind.BAD_INPUT, codePrefix + "_FAILED",
                        what + " exited with " + exit.code() + ": " + CommandRunner.lastLines(exit.output()), null);
            }
        } finally {
            rootfs.delete(file);
        }
    }

    private boolean hasCommand(String name) {
        return COMMAND_DIRECTORIES.stream().anyMatch(directory -> rootfs.has(directory + "/" + name));
    }
}
