package dev.byoos.worker.builder.layers;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.process.CommandRunner;
import dev.byoos.worker.builder.rootfs.RootFilesystem;

/**
 * Runs shell scripts inside the image's root filesystem ({@code chroot <root> /bin/sh}): the spec's
 * pre and post scripts, and the base's own package manager. Nothing is mounted into the root
 * (no /proc, /dev or /sys), so scripts see files only.
 *
 * <p>chroot is no security boundary against root: the worker must itself run sandboxed (its own
 * pod or VM), as spec scripts run as root on it.
 */
final class ImageShell {

    /** What a script sees: a plain root environment, none of the worker's variables (credentials). */
    static final Map<String, String> ENVIRONMENT = Map.of(
            "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME", "/root",
            "LC_ALL", "C",
            "DEBIAN_FRONTEND", "noninteractive");
    private static final Duration PACKAGES_TIMEOUT = Duration.ofMinutes(30);
    private static final String PACKAGES = "PACKAGES";
    /** Debian and RPM package names; never an option (no leading '-'), never shell syntax. */
    private static final Pattern PACKAGE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9+._-]*");
    private static final List<String> COMMAND_DIRECTORIES = List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin");
    /**
     * What apt and dnf print when the mirror cannot be reached (as opposed to a package that does
     * not exist): the spec is fine, the network or the mirror is not, and a later try may succeed.
     */
    private static final Pattern MIRROR_UNREACHABLE = Pattern.compile(
            "Temporary failure resolving|Could not resolve|Could not connect to|Failed to fetch"
                    + "|Connection (failed|refused|timed out)|Cannot download repomd\\.xml"
                    + "|Curl error \\(\\d+\\): Couldn't (resolve|connect)");

    private final RootFilesystem rootfs;
    private final CommandRunner commands;

    ImageShell(RootFilesystem rootfs, CommandRunner commands) {
        this.rootfs = rootfs;
        this.commands = commands;
    }

    /** @throws BuildException BAD_INPUT SCRIPT_FAILED or SCRIPT_TIMEOUT */
    void runScript(BuildRequested.Script script) {
        run("script '" + script.name() + "' (" + script.stage() + ")", script.content(),
                Duration.ofSeconds(script.timeoutSeconds()), "SCRIPT");
    }

    /**
     * Installs packages with the base's apt-get or dnf.
     *
     * <p>Only the invocation is tested (against a stand-in apt-get); no base in the catalog has a
     * real package manager yet. For a real install the base must resolve names and reach its
     * mirrors by itself (its own /etc/resolv.conf), and packages whose maintainer scripts need
     * /proc will fail, as nothing is mounted.
     *
     * @throws BuildException BAD_INPUT NO_PACKAGE_MANAGER, PACKAGES_FAILED (a package that does not
     *                        exist, a failing maintainer script) or PACKAGES_TIMEOUT; INFRASTRUCTURE
     *                        PACKAGE_MIRROR_UNREACHABLE
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
        String script;
        if (hasCommand("apt-get")) {
            script = "set -e\napt-get update\napt-get install -y --no-install-recommends " + names + "\napt-get clean\n";
        } else if (hasCommand("dnf")) {
            script = "set -e\ndnf install -y " + names + "\ndnf clean all\n";
        } else {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "NO_PACKAGE_MANAGER",
                    "base " + rootfs.baseName() + " has no package manager; packages cannot be installed", null);
        }
        run("package installation", script, PACKAGES_TIMEOUT, PACKAGES);
    }

    private void run(String what, String content, Duration timeout, String codePrefix) {
        if (!hasCommand("sh")) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "NO_SHELL",
                    "base " + rootfs.baseName() + " has no /bin/sh; " + what + " cannot run", null);
        }
        // A file rather than stdin, so the script's own commands cannot read the rest of it.
        String file = "/byoos-" + UUID.randomUUID() + ".sh";
        rootfs.write(file, content, "0700", 0, 0);
        try {
            CommandRunner.Exit exit = commands.runScript(timeout, rootfs.root(), ENVIRONMENT,
                    "chroot", rootfs.root().toString(), "/bin/sh", file);
            if (exit.timedOut()) {
                throw new BuildException(BuildException.Kind.BAD_INPUT, codePrefix + "_TIMEOUT",
                        what + " did not finish within " + timeout.toSeconds() + " s and was stopped", null);
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
