#pragma once
/// @file
/// RAII handle for derived MPI datatypes, and the MPI type of C++ element types.
///
/// A subarray datatype describes a box inside a row-major array, so one MPI_Get can
/// move a strided region without packing.
///
/// @code
/// // rows 1..2, columns 2..4 of a 4 x 6 array of doubles
/// auto box = sluice::mpi::Datatype::subarray({4, 6}, {2, 3}, {1, 2},
///                                            sluice::mpi::datatype_of<double>());
/// MPI_Get(dst, 1, box.get(), target, 0, 1, box.get(), window);
/// @endcode

#include <mpi.h>

#include <cstdint>
#include <span>
#include <type_traits>

namespace sluice::mpi {

/// The predefined MPI datatype of an arithmetic element type.
template <typename T>
[[nodiscard]] MPI_Datatype datatype_of() noexcept {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, float>) {
    return MPI_FLOAT;
  } else if constexpr (std::is_same_v<U, double>) {
    return MPI_DOUBLE;
  } else if constexpr (std::is_same_v<U, std::int8_t>) {
    return MPI_INT8_T;
  } else if constexpr (std::is_same_v<U, std::uint8_t>) {
    return MPI_UINT8_T;
  } else if constexpr (std::is_same_v<U, std::int16_t>) {
    return MPI_INT16_T;
  } else if constexpr (std::is_same_v<U, std::uint16_t>) {
    return MPI_UINT16_T;
  } else if constexpr (std::is_same_v<U, std::int32_t>) {
    return MPI_INT32_T;
  } else if constexpr (std::is_same_v<U, std::uint32_t>) {
    return MPI_UINT32_T;
  } else if constexpr (std::is_same_v<U, std::int64_t>) {
    return MPI_INT64_T;
  } else if constexpr (std::is_same_v<U, std::uint64_t>) {
    return MPI_UINT64_T;
  } else {
    static_assert(sizeof(T) == 0, "no predefined MPI datatype for this type");
  }
}

/// A committed derived datatype, freed with the object. Not copyable, movable.
class Datatype {
 public:
  /// A null datatype (MPI_DATATYPE_NULL).
  Datatype() noexcept = default;

  /// A row-major (C order) box of `subsizes` elements starting at `starts` inside an
  /// array of `sizes` elements of type `element`. All three spans have the array's
  /// rank (1 or more). Validates the box against the array and throws
  /// InvalidArgument naming the offending dimension. Local.
  [[nodiscard]] static Datatype subarray(std::span<const int> sizes, std::span<const int> subsizes,
                                         std::span<const int> starts, MPI_Datatype element);
  /// Initializer-list convenience for the above.
  [[nodiscard]] static Datatype subarray(std::initializer_list<int> sizes,
                                         std::initializer_list<int> subsizes,
                                         std::initializer_list<int> starts, MPI_Datatype element);

  /// Elements start[d] + j * every[d] (j < count[d]) of a row-major array of
  /// `array_shape`, relative to the box's first element: pass that element's byte
  /// offset as the displacement of the MPI call. Strides make it a downsampling
  /// selection; every = 1 is a plain box. Up to 3 dimensions. Local.
  [[nodiscard]] static Datatype strided_box(std::span<const std::int64_t> array_shape,
                                            std::span<const std::int64_t> count,
                                            std::span<const std::int64_t> every,
                                            MPI_Datatype element);

  /// `count` consecutive elements. Local.
  [[nodiscard]] static Datatype contiguous(int count, MPI_Datatype element);

  Datatype(const Datatype&) = delete;
  Datatype& operator=(const Datatype&) = delete;
  Datatype(Datatype&& other) noexcept;
  Datatype& operator=(Datatype&& other) noexcept;
  /// Frees the datatype unless MPI is finalised. Never throws.
  ~Datatype();

  [[nodiscard]] MPI_Datatype get() const noexcept { return m_type; }
  [[nodiscard]] bool is_null() const noexcept { return m_type == MPI_DATATYPE_NULL; }

  /// Bytes of data the type describes (MPI_Type_size), not its extent.
  [[nodiscard]] std::int64_t size_bytes() const;

 private:
  explicit Datatype(MPI_Datatype committed) noexcept : m_type(committed) {}

  MPI_Datatype m_type = MPI_DATATYPE_NULL;
};

}  // namespace sluice::mpi
