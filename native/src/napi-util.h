// Argument helpers shared by the addon's Node-API functions (plain C API, no exceptions).
#pragma once
#include <node_api.h>

#include <cstddef>
#include <cstdint>

namespace jointshot {

// Up to 10 JS arguments of one call.
struct Args {
  size_t count = 10;
  napi_value values[10];
};

// Reads the call's arguments; false (with a JS TypeError pending) when fewer than `expected`.
inline bool readArgs(napi_env env, napi_callback_info info, Args& args, size_t expected) {
  napi_get_cb_info(env, info, &args.count, args.values, nullptr, nullptr);
  if (args.count < expected) {
    napi_throw_type_error(env, nullptr, "jointshot native: too few arguments");
    return false;
  }
  return true;
}

// Data pointer and element count of a typed array of the `expected` element type, or null (with
// a JS TypeError pending).
inline void* typedArray(napi_env env, napi_value value, napi_typedarray_type expected, size_t* length) {
  bool is = false;
  napi_is_typedarray(env, value, &is);
  if (!is) {
    napi_throw_type_error(env, nullptr, "jointshot native: expected a typed array");
    return nullptr;
  }
  napi_typedarray_type type;
  void* data = nullptr;
  napi_value buffer;
  size_t offset = 0;
  napi_get_typedarray_info(env, value, &type, length, &data, &buffer, &offset);
  if (type != expected) {
    napi_throw_type_error(env, nullptr, "jointshot native: typed array of the wrong element type");
    return nullptr;
  }
  return data;
}

inline float* f32(napi_env env, napi_value v, size_t* n) {
  return static_cast<float*>(typedArray(env, v, napi_float32_array, n));
}
inline uint8_t* u8(napi_env env, napi_value v, size_t* n) {
  return static_cast<uint8_t*>(typedArray(env, v, napi_uint8_array, n));
}
inline int32_t* i32(napi_env env, napi_value v, size_t* n) {
  return static_cast<int32_t*>(typedArray(env, v, napi_int32_array, n));
}

inline int32_t int32(napi_env env, napi_value v) {
  int32_t out = 0;
  napi_get_value_int32(env, v, &out);
  return out;
}

inline double number(napi_env env, napi_value v) {
  double out = 0;
  napi_get_value_double(env, v, &out);
  return out;
}

inline napi_value nothing(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

inline napi_value rangeError(napi_env env, const char* message) {
  napi_throw_range_error(env, nullptr, message);
  return nullptr;
}

// A call `f(params: Int32Array, a: Float32Array, b: Float32Array[, c: Float32Array])`.
struct ParamsAndFloats {
  int32_t* params = nullptr;
  size_t paramCount = 0;
  float* arrays[3] = {nullptr, nullptr, nullptr};
  size_t lengths[3] = {0, 0, 0};
};

// Reads an Int32Array of exactly `paramCount` entries and `floatCount` Float32Arrays.
inline bool readParamsAndFloats(napi_env env, napi_callback_info info, size_t paramCount, size_t floatCount,
                                ParamsAndFloats& out) {
  Args args;
  if (!readArgs(env, info, args, 1 + floatCount)) return false;
  out.params = i32(env, args.values[0], &out.paramCount);
  if (!out.params) return false;
  if (out.paramCount != paramCount) {
    napi_throw_range_error(env, nullptr, "jointshot native: wrong number of integer parameters");
    return false;
  }
  for (size_t i = 0; i < floatCount; i++) {
    out.arrays[i] = f32(env, args.values[1 + i], &out.lengths[i]);
    if (!out.arrays[i]) return false;
  }
  return true;
}

}  // namespace jointshot
