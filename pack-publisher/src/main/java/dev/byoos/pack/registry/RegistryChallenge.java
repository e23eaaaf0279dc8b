package dev.byoos.pack.registry;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed {@code WWW-Authenticate} header (RFC 7235) as distribution registries send it:
 * {@code Basic realm="Registry"} or {@code Bearer realm="https://auth/token",service="registry",scope="repository:a/b:pull,push"}.
 *
 * @param scheme lower-case auth scheme, {@code basic} or {@code bearer}
 * @param params the challenge's parameters, names in lower case
 */
record RegistryChallenge(String scheme, Map<String, String> params) {

    private static final Pattern SCHEME = Pattern.compile("\\s*([A-Za-z][A-Za-z0-9-]*)\\s*");
    private static final Pattern PARAM = Pattern.compile("\\s*,?\\s*([A-Za-z][A-Za-z0-9_-]*)\\s*=\\s*(?:\"((?:[^\"\\\\]|\\\\.)*)\"|([^,\\s]*))");

    static Optional<RegistryChallenge> parse(String header) {
        if (header == null) {
            return Optional.empty();
        }
        Matcher scheme = SCHEME.matcher(header);
        if (!scheme.lookingAt()) {
            return Optional.empty();
        }
        Map<String, String> params = new LinkedHashMap<>();
        Matcher param = PARAM.matcher(header);
        param.region(scheme.end(), header.length());
        while (param.lookingAt()) {
            String value = param.group(2) != null ? param.group(2).replaceAll("\\\\(.)", "$1") : param.group(3);
            params.put(param.group(1).toLowerCase(Locale.ROOT), value);
            param.region(param.end(), header.length());
        }
        return Optional.of(new RegistryChallenge(scheme.group(1).toLowerCase(Locale.ROOT), Map.copyOf(params)));
    }

    String param(String name) {
        return params.get(name);
    }
}
