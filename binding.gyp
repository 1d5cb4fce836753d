{
  "targets": [
    {
      "target_name": "tcp_keepalive",
      "sources": ["src/binding.cc", "src/keepalive.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-fvisibility=hidden"],
      "conditions": [
        ["OS=='linux'", {
          "sources": ["src/keepalive_linux.cc", "src/idle_watch_linux.cc", "src/find_fd_linux.cc"],
          "defines": ["_GNU_SOURCE"],
          "ldflags": ["-Wl,--version-script=<(module_root_dir)/src/exports.map"]
        }],
        ["OS=='mac'", {
          "sources": ["src/keepalive_darwin.cc"],
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "OTHER_CPLUSPLUSFLAGS": ["-Wall", "-Wextra", "-fvisibility=hidden"]
          }
        }]
      ],
      "configurations": {
        "Release": {"cflags_cc": ["-O3"]}
      }
    }
  ]
}
