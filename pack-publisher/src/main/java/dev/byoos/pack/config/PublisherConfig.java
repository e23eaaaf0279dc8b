package dev.byoos.pack.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

@ConfigMapping(prefix = "publisher")
public interface PublisherConfig {

    Registry registry();

    interface Registry {
        /** The registry's base URL, e.g. {@code https://harbor.example.com} or {@code http://127.0.0.1:5000}. */
        String url();

        /**
         * Path below the registry under which {@code spectro-packs/archive/<name>} repositories are
         * created; the same base content path Palette's pack registry is configured with.
         */
        @WithDefault("byoos")
        String basePath();
    }
}
