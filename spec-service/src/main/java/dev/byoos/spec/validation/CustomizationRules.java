package dev.byoos.spec.validation;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rules of {@code /spec/customizations}: package names in the distribution's grammar, file
 * paths a build may write, names that must be unique, keys and certificates that parse, and the
 * limits the schema cannot count (bytes rather than characters, script time).
 */
final class CustomizationRules implements SpecRule {

    static final Pattern DEB_PACKAGE = Pattern.compile("[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?");
    static final Pattern RPM_PACKAGE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.+-]*");
    static final int MAX_FILE_CONTENT_BYTES = 256 * 1024;
    static final int MAX_CERTIFICATE_BYTES = 64 * 1024;
    static final int MAX_SCRIPT_BYTES = 64 * 1024;
    static final int MAX_SCRIPT_TIMEOUT_SECONDS = 3600;
    static final int DEFAULT_SCRIPT_TIMEOUT_SECONDS = 300;
    static final Set<String> RESERVED_USERS = Set.of("root", "nobody");
    /** Paths a file customization may never write to: kernel-provided or device trees. */
    static final List<String> FORBIDDEN_PATH_PREFIXES = List.of("/proc", "/sys", "/dev");
    private static final String AT = "/spec/customizations";

    private final Clock clock;

    CustomizationRules(Clock clock) {
        this.clock = clock;
    }

    @Override
    public void check(SpecDocument spec, Violations violations) {
        if (spec.object(AT) == null) {
            return;
        }
        packages(spec, violations);
        files(spec, violations);
        users(spec, violations);
        caCertificates(spec, violations);
        scripts(spec, violations);
    }

    private static void packages(SpecDocument spec, Violations violations) {
        String os = spec.text("/spec/os/name");
        boolean deb = os == null || OsRules.DEB_FAMILY.contains(os);
        String at = AT + "/packages";
        for (int i = 0; i < spec.size(at); i++) {
            String name = spec.text(at + "/" + i);
            if (name != null && !(deb ? DEB_PACKAGE : RPM_PACKAGE).matcher(name).matches()) {
                violations.add(at + "/" + i, Violation.INVALID_FORMAT, "'" + SpecSchema.abbreviate(name) + "' is not a "
                        + (deb ? "Debian package name (optionally name=version)" : "RPM package name") + " for "
                        + (os == null ? "the distribution" : os));
            }
        }
    }

    private static void files(SpecDocument spec, Violations violations) {
        String at = AT + "/files";
        Set<String> paths = new HashSet<>();
        for (int i = 0; i < spec.size(at); i++) {
            String itemAt = at + "/" + i;
            String path = spec.text(itemAt + "/path");
            String problem = path == null ? null : unsafePathReason(path);
            if (problem != null) {
                violations.add(itemAt + "/path", Violation.UNSAFE_PATH, problem);
            } else if (path != null && !paths.add(path)) {
                violations.add(itemAt + "/path", Violation.DUPLICATE, "another file already writes " + path);
            }
            String content = spec.text(itemAt + "/content");
            if (content != null && content.getBytes(StandardCharsets.UTF_8).length > MAX_FILE_CONTENT_BYTES) {
                violations.add(itemAt + "/content", Violation.TOO_LARGE,
                        "file content is limited to " + MAX_FILE_CONTENT_BYTES + " bytes");
            }
        }
    }

    private static void users(SpecDocument spec, Violations violations) {
        String at = AT + "/users";
        uniqueNames(spec, at, RESERVED_USERS, "user %s is already defined", violations);
        for (int i = 0; i < spec.size(at); i++) {
            String itemAt = at + "/" + i;
            String keysAt = itemAt + "/sshAuthorizedKeys";
            for (int k = 0; k < spec.size(keysAt); k++) {
                String key = spec.text(keysAt + "/" + k);
                String problem = key == null ? null : SshPublicKeys.problem(key);
                if (problem != null) {
                    violations.add(keysAt + "/" + k, Violation.INVALID_FORMAT, problem);
                }
            }
        }
    }

    private void caCertificates(SpecDocument spec, Violations violations) {
        String at = AT + "/caCertificates";
        uniqueNames(spec, at, Set.of(), "another certificate is already named %s", violations);
        for (int i = 0; i < spec.size(at); i++) {
            String itemAt = at + "/" + i;
            String pem = spec.text(itemAt + "/pem");
            if (pem != null && pem.length() > MAX_CERTIFICATE_BYTES) {
                violations.add(itemAt + "/pem", Violation.TOO_LARGE, "at most " + MAX_CERTIFICATE_BYTES + " bytes");
            } else if (pem != null) {
                String problem = PemCertificates.problem(pem, clock);
                if (problem != null) {
                    violations.add(itemAt + "/pem", Violation.INVALID_FORMAT, problem);
                }
            }
        }
    }

    private static void scripts(SpecDocument spec, Violations violations) {
        String at = AT + "/scripts";
        uniqueNames(spec, at, Set.of(), "another script is already named %s", violations);
        for (int i = 0; i < spec.size(at); i++) {
            String itemAt = at + "/" + i;
            String content = spec.text(itemAt + "/content");
            if (content != null && content.getBytes(StandardCharsets.UTF_8).length > MAX_SCRIPT_BYTES) {
                violations.add(itemAt + "/content", Violation.TOO_LARGE, "scripts are limited to " + MAX_SCRIPT_BYTES
                        + " bytes");
            } else if (content != null && content.indexOf('\0') >= 0) {
                violations.add(itemAt + "/content", Violation.INVALID_FORMAT, "must not contain NUL characters");
            }
            String timeout = spec.text(itemAt + "/timeout");
            if (timeout != null && timeoutSeconds(timeout) > MAX_SCRIPT_TIMEOUT_SECONDS) {
                violations.add(itemAt + "/timeout", Violation.TOO_LARGE, "at most " + MAX_SCRIPT_TIMEOUT_SECONDS / 60
                        + "m: a script that runs longer belongs in the base image");
            }
        }
    }

    /**
     * The items of the list at {@code at} have distinct names, none of them reserved.
     *
     * @param duplicate the message for a repeated name, with {@code %s} for the name
     */
    private static void uniqueNames(SpecDocument spec, String at, Set<String> reserved, String duplicate,
            Violations violations) {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < spec.size(at); i++) {
            String pointer = at + "/" + i + "/name";
            String name = spec.text(pointer);
            if (name != null && reserved.contains(name)) {
                violations.add(pointer, Violation.NOT_ALLOWED, name + " exists in every image and cannot be redefined");
            } else if (name != null && !names.add(name)) {
                violations.add(pointer, Violation.DUPLICATE, duplicate.formatted(name));
            }
        }
    }

    /** @param timeout a duration the schema accepted, such as {@code 90s} or {@code 10m}; null for the default */
    static int timeoutSeconds(String timeout) {
        if (timeout == null) {
            return DEFAULT_SCRIPT_TIMEOUT_SECONDS;
        }
        int amount = Integer.parseInt(timeout.substring(0, timeout.length() - 1));
        return timeout.endsWith("m") ? amount * 60 : amount;
    }

    /** @return why a file path may not be written, or null when it is acceptable */
    static String unsafePathReason(String path) {
        if (!path.startsWith("/")) {
            return "must be an absolute path";
        }
        if (path.contains("\0") || path.contains("\\")) {
            return "must not contain NUL or backslash characters";
        }
        if (path.endsWith("/")) {
            return "must name a file, not a directory";
        }
        for (String segment : path.substring(1).split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return "must be normalised: no empty, '.' or '..' segments";
            }
        }
        for (String prefix : FORBIDDEN_PATH_PREFIXES) {
            if (path.equals(prefix) || path.startsWith(prefix + "/")) {
                return "must not be under " + prefix + " (provided by the kernel at boot)";
            }
        }
        return null;
    }
}
