// The JITC targets with uniform weights (between w0 and w1); jitc_products.h has the
// products, attrs and semantics. One file per weight kind, so that the three compile in
// parallel.
#include <be/builtin_includes.h>

#include "jitc_products.h"

// clang-format off
// @BE jitc_uniform_event_matvec_bool_f32 = jitc_product<float, UniformW, SpikeBool, 1> arg:bool ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matvec_bool_f64 = jitc_product<double, UniformW, SpikeBool, 1> arg:bool ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matvec_float_f32 = jitc_product<float, UniformW, SpikeFloat<float>, 1> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matvec_float_f64 = jitc_product<double, UniformW, SpikeFloat<double>, 1> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matvec_bits_f32 = jitc_product<float, UniformW, SpikeBits, 1> arg:uint32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matvec_bits_f64 = jitc_product<double, UniformW, SpikeBits, 1> arg:uint32 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_matvec_f32 = jitc_product<float, UniformW, Values<float>, 1> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_matvec_f64 = jitc_product<double, UniformW, Values<double>, 1> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_todense_f32 = jitc_todense<float, UniformW> ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_todense_f64 = jitc_todense<double, UniformW> ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_row_f32 = jitc_row<float, UniformW> ret:float32 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_row_f64 = jitc_row<double, UniformW> ret:float64 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matmat_bool_f32 = jitc_product<float, UniformW, SpikeBool, 2> arg:bool ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matmat_bool_f64 = jitc_product<double, UniformW, SpikeBool, 2> arg:bool ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matmat_float_f32 = jitc_product<float, UniformW, SpikeFloat<float>, 2> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matmat_float_f64 = jitc_product<double, UniformW, SpikeFloat<double>, 2> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matmat_bits_f32 = jitc_product<float, UniformW, SpikeBits, 2> arg:uint32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matmat_bits_f64 = jitc_product<double, UniformW, SpikeBits, 2> arg:uint32 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_matmat_f32 = jitc_product<float, UniformW, Values<float>, 2> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_matmat_f64 = jitc_product<double, UniformW, Values<double>, 2> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE sim_jitc_uniform_deliver_f32 = sim_jitc_deliver<float, UniformW> arg:bool ret:float32 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 attr.col0:int64 attr.col1:int64
// @BE sim_jitc_uniform_deliver_f64 = sim_jitc_deliver<double, UniformW> arg:bool ret:float64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 attr.col0:int64 attr.col1:int64
// clang-format on
