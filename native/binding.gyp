# node-gyp build of the jointshot oneDNN addon (run through native/install.mjs, which checks for
# a compiler and oneDNN first). oneDNN's location comes from find-onednn.mjs: DNNL_ROOT /
# ONEDNN_ROOT, pkg-config, its CMake package, or the usual conda / Homebrew / Debian prefixes.
{
  "targets": [
    {
      "target_name": "jointshot_native",
      "sources": ["src/addon.cc", "src/elementwise.cc", "src/buffer-pool.cc", "src/layout.cc"],
      "include_dirs": ["<!(node find-onednn.mjs --include)"],
      "libraries": [
        "-L<!(node find-onednn.mjs --libdir)",
        "-ldnnl",
        "-Wl,-rpath,<!(node find-onednn.mjs --libdir)",
        "<!@(node find-onednn.mjs --openmp-libs)"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      # No FP-exception or errno semantics: lets the compiler vectorise selects, compares and sqrt
      # (leaky ReLU, step: 4x faster; docs/native-backend.md, Build flags).
      "cflags_cc": ["-O3", "-fno-trapping-math", "-fno-math-errno", "<!@(node find-onednn.mjs --openmp-cflags)"],
      "conditions": [
        ["target_arch == 'x64'", {"cflags_cc": ["-march=x86-64-v2"]}],
        ["OS == 'mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "GCC_ENABLE_CPP_RTTI": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "MACOSX_DEPLOYMENT_TARGET": "11.0",
            "OTHER_CPLUSPLUSFLAGS": ["-O3", "-fno-trapping-math", "-fno-math-errno", "<!@(node find-onednn.mjs --openmp-cflags)"]
          }
        }]
      ]
    }
  ]
}
