package dev.byoos.cli;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Where the factory is and who the caller is: from the environment (a CI job's secrets) or, for a
 * person, from a config file only its owner can read. The environment wins, key by key.
 *
 * @param specService    spec-service's base URL ({@code BYOOS_URL} / {@code url})
 * @param artifacts      artifact-service's ({@code BYOOS_ARTIFACTS_URL} / {@code artifacts-url}); default: {@code specService}
 * @param packs          pack-publisher's ({@code BYOOS_PACKS_URL} / {@code packs-url}); default: {@code specService}
 * @param token          the bearer token ({@code BYOOS_TOKEN} / {@code token}); never printed
 */
public record Settings(URI specService, URI artifacts, URI packs, String token) {

    static final String ENV_URL = "BYOOS_URL";
    static final String ENV_ARTIFACTS_URL = "BYOOS_ARTIFACTS_URL";
    static final String ENV_PACKS_URL = "BYOOS_PACKS_URL";
    static final String ENV_TOKEN = "BYOOS_TOKEN";
    static final String ENV_CONFIG = "BYOOS_CONFIG";

    /** Group or others may do anything with it: a file holding a token must be its owner's alone. */
    private static final Set<PosixFilePermission> TOO_OPEN = Set.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    /**
     * @param environment the process environment
     * @param home        the user's home directory (for {@code ~/.config/byoos/config})
     * @throws CliException ({@link ExitCodes#CONFIGURATION}) for a config file others can read or
     *                      write, one owned by someone else, or a URL that is not http(s)
     */
    public static Settings load(Map<String, String> environment, Path home) {
        Path file = configFile(environment, home);
        Properties config = Files.exists(file) ? read(file) : new Properties();
        String specService = first(environment.get(ENV_URL), config.getProperty("url"));
        return new Settings(url(ENV_URL, specService),
                url(ENV_ARTIFACTS_URL, first(environment.get(ENV_ARTIFACTS_URL), config.getProperty("artifacts-url"), specService)),
                url(ENV_PACKS_URL, first(environment.get(ENV_PACKS_URL), config.getProperty("packs-url"), specService)),
                first(environment.get(ENV_TOKEN), config.getProperty("token")));
    }

    static Path configFile(Map<String, String> environment, Path home) {
        if (present(environment.get(ENV_CONFIG))) {
            return Path.of(environment.get(ENV_CONFIG));
        }
        String xdg = environment.get("XDG_CONFIG_HOME");
        return (present(xdg) ? Path.of(xdg) : home.resolve(".config")).resolve("byoos").resolve("config");
    }

    /** @throws CliException when no spec-service URL is configured */
    public URI requireSpecService() {
        return require(specService, ENV_URL, "url");
    }

    public URI requireArtifacts() {
        return require(artifacts, ENV_ARTIFACTS_URL, "artifacts-url");
    }

    public URI requirePacks() {
        return require(packs, ENV_PACKS_URL, "packs-url");
    }

    /** @throws CliException when no token is configured */
    public String requireToken() {
        if (!present(token)) {
            throw new CliException(ExitCodes.CONFIGURATION, "no token: set " + ENV_TOKEN
                    + " or 'token' in the config file (" + ENV_CONFIG + ", default ~/.config/byoos/config)");
        }
        return token;
    }

    /** Never the token: settings end up in error messages and debuggers. */
    @Override
    public String toString() {
        return "Settings[specService=" + specService + ", artifacts=" + artifacts + ", packs=" + packs + ", token="
                + (present(token) ? "(set)" : "(unset)") + "]";
    }

    private static URI require(URI url, String variable, String key) {
        if (url == null) {
            throw new CliException(ExitCodes.CONFIGURATION, "no URL: set " + variable + " or '" + key
                    + "' in the config file (" + ENV_CONFIG + ", default ~/.config/byoos/config)");
        }
        return url;
    }

    private static Properties read(Path file) {
        try {
            if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
                Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
                if (permissions.stream().anyMatch(TOO_OPEN::contains)) {
                    throw new CliException(ExitCodes.CONFIGURATION, "config file " + file + " is accessible by others (mode "
                            + PosixFilePermissions.toString(permissions) + "): it may hold a token; run chmod 600 " + file);
                }
                String owner = Files.getOwner(file, LinkOption.NOFOLLOW_LINKS).getName();
                String me = System.getProperty("user.name");
                if (!owner.equals(me)) {
                    throw new CliException(ExitCodes.CONFIGURATION, "config file " + file + " belongs to " + owner
                            + ", not to " + me + ": refusing to read a token someone else controls");
                }
            }
            Properties properties = new Properties();
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                properties.load(reader);
            }
            return properties;
        } catch (IOException e) {
            throw new CliException(ExitCodes.CONFIGURATION, "cannot read config file " + file + ": " + e.getMessage(), e);
        }
    }

    private static URI url(String variable, String value) {
        if (!present(value)) {
            return null;
        }
        String trimmed = value.strip().replaceAll("/+$", "");
        URI uri;
        try {
            uri = URI.create(trimmed);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.CONFIGURATION, variable + " is not a URL: " + e.getMessage(), e);
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new CliException(ExitCodes.CONFIGURATION, variable + " must be an http(s) URL with a host, e.g. "
                    + "https://byoos.example.com; got " + trimmed);
        }
        return uri;
    }

    private static String first(String... values) {
        for (String value : values) {
            if (present(value)) {
                return value.strip();
            }
        }
        return null;
    }

    private static boolean present(String value) {
        return value != null && !value.isBlank();
    }
}
