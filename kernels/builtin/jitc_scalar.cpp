// The JITC targets with scalar weights (every entry weighs w0); jitc_products.h has the
// products, attrs and semantics. One file per weight kind, so that the three compile in
// parallel.
#include <be/builtin_includes.h>

#include "jitc_products.h"

// clang-format off
// @BE jitc_scalar_event_matvec_bool_f32 = jitc_product<float, ScalarW, SpikeBool, 1> arg:bool ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_event_matvec_bool_f64 = jitc_product<double, ScalarW, SpikeBool, 1> arg:bool ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_event_matvec_float_f32 = jitc_product<float, ScalarW, SpikeFloat<float>, 1> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_event_matvec_float_f64 = jitc_product<double, ScalarW, SpikeFloat<double>, 1> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_event_matvec_bits_f32 = jitc_product<float, ScalarW, SpikeBits, 1> arg:uint32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_event_matvec_bits_f64 = jitc_product<double, ScalarW, SpikeBits, 1> arg:uint32 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_matvec_f32 = jitc_product<float, ScalarW, Values<float>, 1> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_matvec_f64 = jitc_product<double, ScalarW, Values<double>, 1> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_todense_f32 = jitc_todense<float, ScalarW> ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_todense_f64 = jitc_todense<double, ScalarW> ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_row_f32 = jitc_row<float, ScalarW> ret:float32 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_row_f64 = jitc_row<double, ScalarW> ret:float64 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_event_matmat_bool_f32 = jitc_product<float, ScalarW, SpikeBool, 2> arg:bool ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_event_matmat_bool_f64 = jitc_product<double, ScalarW, SpikeBool, 2> arg:bool ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_event_matmat_float_f32 = jitc_product<float, ScalarW, SpikeFloat<float>, 2> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_event_matmat_float_f64 = jitc_product<double, ScalarW, SpikeFloat<double>, 2> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_event_matmat_bits_f32 = jitc_product<float, ScalarW, SpikeBits, 2> arg:uint32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_event_matmat_bits_f64 = jitc_product<double, ScalarW, SpikeBits, 2> arg:uint32 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_matmat_f32 = jitc_product<float, ScalarW, Values<float>, 2> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_matmat_f64 = jitc_product<double, ScalarW, Values<double>, 2> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE sim_jitc_scalar_deliver_f32 = sim_jitc_deliver<float, ScalarW> arg:bool ret:float32 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 attr.col0:int64 attr.col1:int64
// @BE sim_jitc_scalar_deliver_f64 = sim_jitc_deliver<double, ScalarW> arg:bool ret:float64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 attr.col0:int64 attr.col1:int64
// clang-format on
