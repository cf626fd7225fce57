// The C API's steerable parameters.
#include <optional>
#include <string>

#include "handles.hpp"

namespace sluice::capi {
namespace {

template <typename T>
sluice_param* add_param(sluice_bridge* bridge, const char* name, T initial, const T* min,
                        const T* max, const char* doc, const char* call) {
  if (name == nullptr) {
    throw InvalidArgument(call, "the parameter name is NULL");
  }
  steer::ParamSpec<T> spec;
  if (min != nullptr) {
    spec.min = *min;
  }
  if (max != nullptr) {
    spec.max = *max;
  }
  if (doc != nullptr) {
    spec.doc = doc;
  }
  auto handle = std::make_unique<sluice_param>(
      sluice_param{Kind::param, bridge->bridge->param<T>(name, initial, spec)});
  bridge->params.push_back(std::move(handle));
  sluice_param* param = bridge->params.back().get();
  return param;
}

template <typename T>
int register_param(sluice_bridge* bridge, const char* name, T initial, const T* min, const T* max,
                   const char* doc, sluice_param** param, const char* call) {
  return guarded(call, [&] {
    require(bridge, Kind::bridge, "bridge", call);
    if (param == nullptr) {
      throw InvalidArgument(call, "the output pointer is NULL");
    }
    *param = nullptr;
    *param = add_param<T>(bridge, name, initial, min, max, doc, call);
  });
}

const char* type_name(const sluice_param& param) {
  switch (param.value.index()) {
    case 0:
      return "f64";
    case 1:
      return "i64";
    default:
      return "bool";
  }
}

template <typename T>
int read_param(const sluice_param* param, T* value, const char* asked, const char* call) {
  return guarded(call, [&] {
    require(param, Kind::param, "parameter", call);
    if (value == nullptr) {
      throw InvalidArgument(call, "the output pointer is NULL");
    }
    const auto* typed = std::get_if<steer::Param<T>>(&param->value);
    if (typed == nullptr) {
      std::visit(
          [&](const auto& p) {
            throw InvalidArgument(std::string(call) + " of parameter '" + p.name() + "'",
                                  std::string("it is a ") + type_name(*param) + " parameter",
                                  std::string("read it with sluice_param_get_") +
                                      type_name(*param) + ", not as " + asked);
          },
          param->value);
    }
    *value = typed->value();
  });
}

}  // namespace
}  // namespace sluice::capi

extern "C" {

int sluice_param_f64(sluice_bridge* bridge, const char* name, double initial, const double* min,
                     const double* max, const char* doc, sluice_param** param) {
  return sluice::capi::register_param<double>(bridge, name, initial, min, max, doc, param,
                                              "sluice_param_f64");
}

int sluice_param_i64(sluice_bridge* bridge, const char* name, int64_t initial, const int64_t* min,
                     const int64_t* max, const char* doc, sluice_param** param) {
  return sluice::capi::register_param<std::int64_t>(bridge, name, initial, min, max, doc, param,
                                                    "sluice_param_i64");
}

int sluice_param_bool(sluice_bridge* bridge, const char* name, bool initial, const char* doc,
                      sluice_param** param) {
  return sluice::capi::register_param<bool>(bridge, name, initial, nullptr, nullptr, doc, param,
                                            "sluice_param_bool");
}

int sluice_param_get_f64(const sluice_param* param, double* value) {
  return sluice::capi::read_param<double>(param, value, "f64", "sluice_param_get_f64");
}

int sluice_param_get_i64(const sluice_param* param, int64_t* value) {
  return sluice::capi::read_param<std::int64_t>(param, value, "i64", "sluice_param_get_i64");
}

int sluice_param_get_bool(const sluice_param* param, bool* value) {
  return sluice::capi::read_param<bool>(param, value, "bool", "sluice_param_get_bool");
}

int sluice_param_since(const sluice_param* param, int64_t* iteration) {
  constexpr const char* call = "sluice_param_since";
  return sluice::capi::guarded(call, [&] {
    sluice::capi::require(param, sluice::capi::Kind::param, "parameter", call);
    if (iteration == nullptr) {
      throw sluice::InvalidArgument(call, "the output pointer is NULL");
    }
    *iteration = std::visit([](const auto& p) { return p.since_iteration(); }, param->value);
  });
}

}  // extern "C"
