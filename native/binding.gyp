# node-gyp build of the jointshot oneDNN addon (run through native/install.mjs, which checks for
# a compiler and oneDNN first). oneDNN's location comes from find-onednn.mjs: DNNL_ROOT /
# ONEDNN_ROOT, pkg-config, its CMake package, or the usual conda / Homebrew / Debian prefixes.
# The element-wise loops (src/kernels.cc) are compiled once per instruction set into static
# libraries and picked at run time (src/elementwise.cc): on x86-64 baseline (x86-64-v2), avx2
# (x86-64-v3) and avx512 (x86-64-v4); elsewhere baseline only. Nothing uses -march=native: the
# addon runs on any CPU of its architecture.
{
  "variables": {
    # No FP-exception or errno semantics: lets the compiler vectorise selects, compares and sqrt
    # (leaky ReLU, step: 4x faster; docs/native-backend.md, Build flags). No FMA contraction:
    # every instruction set gives the same element-wise results.
    "jointshot_flags": ["-O3", "-fno-trapping-math", "-fno-math-errno", "-ffp-contract=off", "-fPIC"],
  },
  "target_defaults": {
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
    "cflags_cc": ["<@(jointshot_flags)", "<!@(node find-onednn.mjs --openmp-cflags)"],
    "conditions": [
      ["target_arch == 'x64'", {"defines": ["JOINTSHOT_X86_VARIANTS"]}],
      ["OS == 'mac'", {
        "xcode_settings": {
          "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
          "GCC_ENABLE_CPP_RTTI": "YES",
          "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
          "MACOSX_DEPLOYMENT_TARGET": "11.0",
          "OTHER_CPLUSPLUSFLAGS": ["<@(jointshot_flags)", "<!@(node find-onednn.mjs --openmp-cflags)"]
        }
      }]
    ]
  },
  "targets": [
    {
      "target_name": "jointshot_kernels_baseline",
      "type": "static_library",
      "sources": ["src/kernels.cc"],
      "defines": ["JOINTSHOT_ISA=baseline"],
      "conditions": [
        ["target_arch == 'x64'", {
          "cflags_cc": ["-march=x86-64-v2"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-march=x86-64-v2"]}
        }]
      ]
    },
    {
      "target_name": "jointshot_native",
      "sources": ["src/addon.cc", "src/elementwise.cc", "src/buffer-pool.cc", "src/layout.cc", "src/sgd.cc", "src/copy-box.cc"],
      "include_dirs": ["<!(node find-onednn.mjs --include)"],
      "dependencies": ["jointshot_kernels_baseline"],
      "libraries": [
        "-L<!(node find-onednn.mjs --libdir)",
        "-ldnnl",
        "-Wl,-rpath,<!(node find-onednn.mjs --libdir)",
        "<!@(node find-onednn.mjs --openmp-libs)"
      ],
      "conditions": [
        ["target_arch == 'x64'", {
          "cflags_cc": ["-march=x86-64-v2"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-march=x86-64-v2"]},
          "dependencies": ["jointshot_kernels_avx2", "jointshot_kernels_avx512"]
        }]
      ]
    }
  ],
  "conditions": [
    ["target_arch == 'x64'", {
      "targets": [
        {
          "target_name": "jointshot_kernels_avx2",
          "type": "static_library",
          "sources": ["src/kernels.cc"],
          "defines": ["JOINTSHOT_ISA=avx2"],
          "cflags_cc": ["-march=x86-64-v3"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-march=x86-64-v3"]}
        },
        {
          "target_name": "jointshot_kernels_avx512",
          "type": "static_library",
          "sources": ["src/kernels.cc", "src/wino.cc"],
          "defines": ["JOINTSHOT_ISA=avx512"],
          "cflags_cc": ["-march=x86-64-v4", "-mprefer-vector-width=512"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-march=x86-64-v4", "-mprefer-vector-width=512"]}
        }
      ]
    }]
  ]
}
