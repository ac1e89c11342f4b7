// SPDX-License-Identifier: Apache-2.0
//
// ring: a FIFO that allocates only when it grows beyond its largest size so
// far (capacity doubles), never in steady state. std::deque frees and
// allocates a block every few elements as a queue moves through it; the
// per-event queues of the model (inbound messages, interrupts, work items,
// CPU waiters) use this instead.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace prisim {

template <class T>
class ring {
public:
    explicit ring(size_t initial = 16)
    {
        size_t c = 1;
        while (c < initial) c <<= 1;
        m_v.resize(c);
    }

    bool empty() const { return m_n == 0; }
    size_t size() const { return m_n; }
    T& front() { return m_v[m_head]; }
    const T& front() const { return m_v[m_head]; }
    T& operator[](size_t i) { return m_v[(m_head + i) & (m_v.size() - 1)]; }
    const T& operator[](size_t i) const { return m_v[(m_head + i) & (m_v.size() - 1)]; }

    void push_back(T v)
    {
        grow();
        m_v[(m_head + m_n) & (m_v.size() - 1)] = std::move(v);
        ++m_n;
    }
    void pop_front()
    {
        m_v[m_head] = T{};
        m_head = (m_head + 1) & (m_v.size() - 1);
        --m_n;
    }
    // Insert keeping the queue ordered by `less` (stable: after equal ones).
    // Scans from the back: cheap when elements arrive nearly in order.
    template <class Less>
    void insert_ordered(T v, Less less)
    {
        grow();
        size_t i = m_n;
        while (i > 0 && less(v, (*this)[i - 1])) {
            (*this)[i] = std::move((*this)[i - 1]);
            --i;
        }
        (*this)[i] = std::move(v);
        ++m_n;
    }
    // Remove the element at position i (0 = front), keeping the order.
    void erase(size_t i)
    {
        for (; i + 1 < m_n; ++i) (*this)[i] = std::move((*this)[i + 1]);
        (*this)[m_n - 1] = T{};
        --m_n;
    }
    void clear()
    {
        while (!empty()) pop_front();
    }
    // Drop the elements `dead` selects, keeping the order of the others.
    template <class Pred>
    void remove_if(Pred dead)
    {
        size_t k = 0;
        for (size_t i = 0; i < m_n; ++i) {
            if (dead((*this)[i])) continue;
            if (k != i) (*this)[k] = std::move((*this)[i]);
            ++k;
        }
        for (size_t i = k; i < m_n; ++i) (*this)[i] = T{};
        m_n = k;
    }

private:
    void grow()
    {
        if (m_n < m_v.size()) return;
        std::vector<T> v(m_v.size() * 2);
        for (size_t i = 0; i < m_n; ++i) v[i] = std::move((*this)[i]);
        m_v.swap(v);
        m_head = 0;
    }

    std::vector<T> m_v;
    size_t m_head = 0, m_n = 0;
};

} // namespace prisim
